/* SCORE Assistant: the few behaviours htmx does not cover. No inline scripts anywhere (CSP).
   - the source passage opens in a side panel (a sheet on phones), takes focus, closes with Esc or ×
   - after an answer arrives: clear the question box and bring the answer into view
   - Enter sends the question, Shift+Enter adds a line */
(function () {
  "use strict";
  var lastTrigger = null;

  function panel() { return document.getElementById("passage-panel"); }

  function openPanel() {
    document.body.classList.add("panel-open");
    var heading = panel().querySelector("#passage-title");
    if (heading) { heading.focus(); }
    var cited = panel().querySelector(".cited mark, .cited");
    if (cited) { cited.scrollIntoView({ block: "center" }); }
  }

  function closePanel() {
    document.body.classList.remove("panel-open");
    panel().innerHTML = "";
    if (lastTrigger && document.body.contains(lastTrigger)) { lastTrigger.focus(); }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    if (target.id === "passage-panel") { openPanel(); }
    if (target.id === "turns") {
      var box = document.getElementById("question");
      if (box) { box.value = ""; }
      var turn = target.lastElementChild;
      if (turn) { turn.scrollIntoView({ block: "start", behavior: "smooth" }); }
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.cite, a.citation-link");
    if (link) { lastTrigger = link; }
    if (event.target.closest("[data-close-panel]")) { closePanel(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("panel-open")) {
      closePanel();
      return;
    }
    var box = event.target;
    if (box.id === "question" && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (box.value.trim()) { box.form.requestSubmit(); }
    }
  });
})();
