/* The task page (followup/task.html) from the keyboard, so a nurse makes a whole call without the mouse:
 * 1–9 choose the outcome, N goes to the note, Ctrl+Enter (⌘+Enter) records it and opens the next task.
 * Digits and N act only outside text fields, where they would be typed. */
(function () {
  var form = document.getElementById("outcome-form");
  if (!form) return;
  function typing(target) {
    var tag = target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (/^[1-9]$/.test(event.key)) {
      var option = form.querySelector('.outcome[data-key="' + event.key + '"] input');
      if (option) {
        event.preventDefault();
        option.checked = true;
        option.focus();
      }
    } else if (event.key === "n" || event.key === "N") {
      var note = form.querySelector("textarea");
      if (note) {
        event.preventDefault();
        note.focus();
      }
    }
  });
})();
