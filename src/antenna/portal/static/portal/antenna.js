/* GPU-hour calculator on the proposal form: GPUs per job x hours per run x runs. */
(function () {
  "use strict";
  function setup(box) {
    var gpus = box.querySelector("[data-calc=gpus]");
    var hours = box.querySelector("[data-calc=hours]");
    var runs = box.querySelector("[data-calc=runs]");
    var out = box.querySelector("output");
    var use = box.querySelector("[data-calc=use]");
    var target = document.getElementById(box.dataset.target);
    function total() {
      var n = Number(gpus.value) * Number(hours.value) * Number(runs.value);
      return isFinite(n) && n > 0 ? Math.ceil(n) : 0;
    }
    function update() { out.value = total().toLocaleString(document.documentElement.lang); }
    [gpus, hours, runs].forEach(function (el) { el.addEventListener("input", update); });
    if (use && target) {
      use.hidden = false;
      use.addEventListener("click", function () { if (total()) { target.value = total(); target.focus(); } });
    }
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".calculator").forEach(setup);
  });
})();

/* "Use" buttons of the GPU-hour estimator: copy the estimate (and its reasoning) into the form. */
document.addEventListener("click", function (event) {
  "use strict";
  var button = event.target.closest ? event.target.closest("[data-fill]") : null;
  if (!button) { return; }
  var target = document.getElementById(button.dataset.fill);
  if (!target) { return; }
  target.value = button.dataset.value;
  var justify = button.dataset.justify && document.getElementById(button.dataset.justify);
  if (justify && button.dataset.text && justify.value.indexOf(button.dataset.text) === -1) {
    justify.value = (justify.value ? justify.value + "\n" : "") + button.dataset.text;
  }
  target.focus();
});
