/* Collections: what plain forms and links cannot do. No inline scripts anywhere (CSP).
   - drag an item of one's own collection to a new place: the item's own move form is posted with
     the new position (the same form the ↑/↓ buttons send without JavaScript), then the page reloads
   - a download link shows a progress bar while a large handout is made and fetched */
(function () {
  "use strict";
  var dragged = null;

  function items(list) { return Array.prototype.slice.call(list.querySelectorAll(":scope > li")); }

  function postMove(item, position) {
    var form = item.querySelector("form.move-form");
    if (!form) { return; }
    var data = new FormData(form);
    data.set("position", String(position));
    var token = data.get("csrf_token");
    fetch(form.action, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: token ? { "X-CSRF-Token": token } : {}
    }).then(function () { window.location.reload(); });
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("ol[data-reorder] > li");
    if (!item) { return; }
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-item-id"));
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    var over = event.target.closest && event.target.closest("ol[data-reorder] > li");
    if (!over || over === dragged || over.parentNode !== dragged.parentNode) { return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (dragged) { event.preventDefault(); }
  });

  document.addEventListener("dragend", function () {
    if (!dragged) { return; }
    var item = dragged;
    dragged = null;
    item.classList.remove("dragging");
    var position = items(item.parentNode).indexOf(item);
    if (String(position) !== item.getAttribute("data-position")) { postMove(item, position); }
  });

  function fileName(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var utf = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (utf) { return decodeURIComponent(utf[1]); }
    var plain = /filename="([^"]+)"/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  function readWithProgress(response, bar) {
    var total = Number(response.headers.get("Content-Length")) || 0;
    if (!response.body || !total) { return response.blob(); }
    bar.max = total;
    var reader = response.body.getReader();
    var chunks = [];
    var received = 0;
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) { return new Blob(chunks, { type: response.headers.get("Content-Type") || "" }); }
        chunks.push(step.value);
        received += step.value.length;
        bar.value = received;
        return pump();
      });
    }
    return pump();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-export]");
    if (!link || !window.fetch || !window.URL || !URL.createObjectURL) { return; }
    event.preventDefault();
    var section = link.closest(".exports");
    var bar = section.querySelector(".export-progress");
    var status = section.querySelector(".export-status");
    bar.removeAttribute("value");  // indeterminate while the server makes the file
    bar.hidden = false;
    status.textContent = "Preparing " + link.textContent.replace("Download ", "") + "…";
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) { throw new Error(body.detail || response.statusText); },
          function () { throw new Error(response.statusText); });
      }
      return readWithProgress(response, bar).then(function (blob) {
        var url = URL.createObjectURL(blob);
        var save = document.createElement("a");
        save.href = url;
        save.download = fileName(response, "handout");
        document.body.appendChild(save);
        save.click();
        save.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        status.textContent = "Downloaded.";
      });
    }).catch(function (error) {
      status.textContent = "The download failed: " + error.message;
    }).then(function () { bar.hidden = true; });
  });
}());
