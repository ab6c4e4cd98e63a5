// Runs only where scripts are allowed: tell the tipster their browser could be safer.
// Pages never depend on it; with scripts off (Tor Browser "Safest") nothing changes.
document.addEventListener("DOMContentLoaded", function () {
  var warning = document.getElementById("script-warning");
  if (warning) {
    warning.hidden = false;
  }
});
