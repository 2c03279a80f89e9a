// Toasts (callback answers), alerts (show_alert answers, errors) and the photo lightbox.
const $ = (id) => document.getElementById(id);
let toastTimer = null;

export function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 3200);
}

export function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

export function zoom(url) {
  $("lightbox-img").src = url;
  $("lightbox").hidden = false;
}

export function setupOverlays() {
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
  $("lightbox").addEventListener("click", () => { $("lightbox").hidden = true; });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      $("alert").hidden = true;
      $("lightbox").hidden = true;
    }
  });
}
