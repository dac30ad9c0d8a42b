// The app's own script (the Content-Security-Policy allows no inline script or on…= handlers).
// <select data-submit-on-change>: send its form when the choice changes (the language menu);
// without JavaScript the form's own button does it.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("select[data-submit-on-change]") && field.form) {
    field.form.submit();
  }
});
