// Conditional questions of the citizen's questionnaire (FHIR enableWhen): a fieldset with
// data-when-field and data-when-values is shown only while the radio group it names has one of
// those values checked. The server decides what counts (aps.forms.CitizenQuestionnaireForm):
// without this script every question is shown and a hidden one's answer is dropped there.
(function () {
  "use strict";
  function update(form) {
    form.querySelectorAll("fieldset[data-when-field]").forEach(function (set) {
      var checked = form.querySelector('input[name="' + set.dataset.whenField + '"]:checked');
      var parent = form.querySelector('input[name="' + set.dataset.whenField + '"]');
      var parentSet = parent && parent.closest("fieldset");
      var shown = !!checked && !(parentSet && parentSet.hidden) &&
        set.dataset.whenValues.split(" ").indexOf(checked.value) >= 0;
      set.hidden = !shown;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.citizen-questionnaire").forEach(function (form) {
      update(form);
      form.addEventListener("change", function () { update(form); update(form); });
    });
  });
})();
