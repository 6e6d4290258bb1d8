// bootlink's Cockpit page: tabs (Clients, Images, Events, Doctor) over one shared store fed by
// `linkctl --json status --follow` (a line per change). The tab is the location (/bootlink/images),
// so Cockpit's URL and history follow it.
import { Rates } from "./format.js";
import { follow, onDenied, superuser } from "./linkctl.js";
import { emptyState, h } from "./ui.js";
import * as clients from "./clients.js";
import * as images from "./images.js";
import * as events from "./events.js";
import * as doctor from "./doctor.js";

const cockpit = window.cockpit;
const pages = [
    { id: "clients", title: "Clients", mod: clients },
    { id: "images", title: "Images", mod: images },
    { id: "events", title: "Events", mod: events },
    { id: "doctor", title: "Doctor", mod: doctor },
];

// The store: the last status document and what the pages share.
export const store = {
    status: null,           // last document from status --follow
    statusAt: 0,            // when it came (seconds)
    followError: null,      // why the stream ended, while it is down
    denied: null,           // Cockpit's refusal message when this session has no admin access
    rates: new Rates(5),
    listeners: new Set(),
    changed() { for (const f of this.listeners) f(); },
    // after a change made from the page: images and events are re-read by their pages
    actionDone: new Set(),
    acted() { for (const f of this.actionDone) f(); },
};

// Cockpit's shell style: light, dark or auto (follows the desktop)
function applyTheme() {
    let style = "auto";
    try { style = localStorage.getItem("shell:style") || "auto"; } catch (e) { /* no storage */ }
    const dark = style === "dark" || (style === "auto" && window.matchMedia?.("(prefers-color-scheme: dark)").matches);
    document.documentElement.classList.toggle("pf-theme-dark", !!dark);
}
applyTheme();
window.addEventListener("storage", e => { if (e.key === "shell:style") applyTheme(); });
window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", applyTheme);

const root = document.getElementById("app");
const tabList = h("ul", { class: "pf-c-tabs__list", role: "tablist", "aria-label": "bootlink" });
const banner = h("div", { class: "bl-banner", "aria-live": "polite" });
const main = h("div", { class: "bl-main", role: "tabpanel", tabindex: "-1" });
root.append(
    h("section", { class: "pf-c-page__main-section pf-m-light bl-head" },
        h("div", { class: "bl-titlebar" },
            h("h1", { class: "pf-c-title pf-m-xl" }, "bootlink"),
            h("span", { class: "bl-subtitle" }, "diskless clients, images and versions")),
        h("div", { class: "pf-c-tabs pf-m-box bl-tabs" }, tabList)),
    h("ul", { class: "pf-c-alert-group bl-alerts", id: "bl-alerts", "aria-live": "polite" }),
    h("section", { class: "pf-c-page__main-section bl-body" }, banner, main));

let current = null;
const tabButtons = new Map();
pages.forEach((p, i) => {
    const b = h("button", {
        class: "pf-c-tabs__link", type: "button", role: "tab", id: `bl-tab-${p.id}`, "aria-controls": "bl-panel",
        onclick: () => cockpit.location.go([p.id]),
        onkeydown: e => {
            const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
            if (!d) return;
            e.preventDefault();
            const next = pages[(i + d + pages.length) % pages.length];
            tabButtons.get(next.id).focus();
            cockpit.location.go([next.id]);
        },
    }, h("span", { class: "pf-c-tabs__item-text" }, p.title));
    tabButtons.set(p.id, b);
    tabList.append(h("li", { class: "pf-c-tabs__item" }, b));
});
main.id = "bl-panel";

function show() {
    const id = cockpit.location.path[0] || "clients";
    const page = pages.find(p => p.id === id) || pages[0];
    for (const [pid, b] of tabButtons) {
        const on = pid === page.id;
        b.parentElement.classList.toggle("pf-m-current", on);
        b.setAttribute("aria-selected", on ? "true" : "false");
        b.tabIndex = on ? 0 : -1;
    }
    main.setAttribute("aria-labelledby", `bl-tab-${page.id}`);
    if (current?.mod.hide) current.mod.hide();
    current = page;
    document.title = `bootlink: ${page.title}`;
    page.mod.render(main, store);
}
cockpit.addEventListener("locationchanged", show);

function renderBanner() {
    banner.replaceChildren();
    if (store.denied) {
        main.hidden = true;
        banner.append(emptyState("Administrative access required",
            h("div", {},
                h("p", { class: "bl-refusal" }, `Cockpit refused to run linkctl for this session: ${store.denied}`),
                h("p", {}, "bootlink's console acts only through linkctl, run as root by Cockpit's administrative access. " +
                    "Turn on administrative access in Cockpit's top bar (members of the sudo group), or log in as an administrator.")),
            "danger"));
        return;
    }
    main.hidden = false;
    if (store.followError)
        banner.append(h("div", { class: "pf-c-alert pf-m-inline pf-m-warning bl-follow-error" },
            h("p", { class: "pf-c-alert__title" }, "Live status interrupted"),
            h("div", { class: "pf-c-alert__description" }, `${store.followError} — retrying.`)));
    else if (store.status && !store.status.linkmgr_running)
        banner.append(h("div", { class: "pf-c-alert pf-m-inline pf-m-warning" },
            h("p", { class: "pf-c-alert__title" }, "linkmgr is not running"),
            h("div", { class: "pf-c-alert__description" },
                `${store.status.linkmgr_error || ""}. Changes are saved and apply when it starts; online state and I/O are unknown. See Doctor.`)));
}
store.listeners.add(renderBanner);

onDenied((problem, message) => {
    if (store.denied) return;
    store.denied = message;
    stopFollow?.();
    stopFollow = null;
    store.changed();
});

// The live status stream; restarted after it ends (linkmgr upgrade, database moved, ...).
let stopFollow = null, retry = null;
function startFollow() {
    clearTimeout(retry);
    stopFollow = follow(doc => {
        const now = Date.now() / 1000;
        store.rates.update(now, doc.clients);
        store.status = doc;
        store.statusAt = now;
        store.followError = null;
        store.changed();
    }, end => {
        stopFollow = null;
        if (store.denied || end.problem === "access-denied") return;
        store.followError = end.message;
        store.changed();
        retry = setTimeout(startFollow, 5000);
    });
}

// Administrative access can be turned on and off in the top bar while the page is open.
let startedWith = undefined;
superuser(cur => {
    if (cur === "init") return;
    const admin = cur !== "none" && cur !== null;
    if (startedWith === admin) return;
    startedWith = admin;
    store.denied = null;
    stopFollow?.();
    startFollow();      // refused by Cockpit when there is no admin access: onDenied says so
    store.changed();
});

// Rates decay to "idle" without a new document: redraw the clients page once a second.
setInterval(() => { if (current?.mod.tick) current.mod.tick(); }, 1000);

show();
renderBanner();
