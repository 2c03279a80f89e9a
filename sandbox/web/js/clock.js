// The demo clock: shows the injected clock's time and moves it (the server then runs what fell due).
import { get, post } from "./api.js";

const $ = (id) => document.getElementById(id);
const WEEKDAYS = { zh_CN: ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"], en: ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] };
let locale = "en";

export function renderClock(clock, ui) {
  const node = $("clock-now");
  node.textContent = clock.local;
  const day = document.createElement("small");
  day.textContent = (WEEKDAYS[locale] || WEEKDAYS.en)[clock.weekday];
  node.append(day);
  node.dataset.iso = clock.iso;
}

export function setupClock(boot, render) {
  locale = boot.locale;
  render(boot.clock);
  setInterval(async () => render(await get("/demo/api/clock")), 30_000);
  for (const button of document.querySelectorAll("[data-step]")) {
    button.addEventListener("click", async () => {
      for (const other of document.querySelectorAll("[data-step]")) other.disabled = true;
      $("clock-status").textContent = "…";
      try {
        const result = await post("/demo/api/clock", { step: button.dataset.step });
        render(result.clock);
        const jobs = result.jobs;
        const parts = [boot.ui.clock_done];
        if (jobs.sla_notices || jobs.sla_closed) parts.push(`SLA ${jobs.sla_notices + jobs.sla_closed}`);
        if (jobs.summary_week) parts.push(jobs.summary_week);
        $("clock-status").textContent = parts.join(" · ");
        $("clock-status").dataset.summaryWeek = jobs.summary_week || "";
      } catch (error) {
        $("clock-status").textContent = error.message;
      } finally {
        for (const other of document.querySelectorAll("[data-step]")) other.disabled = false;
      }
    });
  }
}
