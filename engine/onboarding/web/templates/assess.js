// Optional: saves each answer as it is given and refreshes the result beside the form. The
// form works without it (the buttons save the whole page).
(() => {
  const form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) return;
  const live = document.getElementById("live");
  form.addEventListener("change", async (event) => {
    const box = event.target.closest("fieldset.q");
    if (!box) return;
    const body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("question", box.dataset.name);
    for (const el of box.querySelectorAll("input, select")) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      body.append(el.name, el.value);
    }
    let reply;
    try {
      const response = await fetch(form.dataset.autosave, { method: "POST", body, credentials: "same-origin" });
      reply = await response.json();
    } catch (e) {
      return; // the Save buttons still work
    }
    const error = box.querySelector(".error");
    error.textContent = reply.error || "";
    error.hidden = !reply.error;
    box.classList.toggle("has-error", Boolean(reply.error));
    const state = box.querySelector(".state");
    if (state && !reply.error) state.textContent = reply.state;
    for (const other of form.querySelectorAll("fieldset.q")) {
      const relevant = reply.relevant[other.dataset.name];
      if (relevant === undefined) continue;
      other.hidden = !relevant;
      other.disabled = !relevant;
    }
    if (live && reply.live) live.innerHTML = reply.live;
    const announce = document.getElementById("announce");
    if (announce) announce.textContent = reply.error ? "Not saved: " + reply.error : "Saved.";
    const progress = document.getElementById("progress");
    if (progress && reply.progress) progress.textContent = reply.progress;
  });
})();
