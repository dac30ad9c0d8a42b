from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.web.directory.models import Offer

MAX_FILE_BYTES = 1_000_000


class OfferForm(forms.ModelForm):
    class Meta:
        model = Offer
        fields = ["capacity", "opening_hours", "how_to_book", "phone", "note"]


class BookForm(forms.Form):
    note = forms.CharField(label=_("What the place is held for (no CPR number)"), max_length=300)


class LoadForm(forms.Form):
    file = forms.FileField(label=_("Directory file (YAML)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB; a directory file is a few kB."))
        return upload
