// DOM helpers with PatternFly 4 markup: elements, icons, alerts, labels, modal dialogs with a
// focus trap, a confirmation dialog, action menus, sortable table headers. Everything that acts
// is a <button>, so Tab/Enter/Space work everywhere; menus add arrow keys, dialogs Escape.

export function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") el.className = v;
        else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
        else if (k === "dataset") Object.assign(el.dataset, v);
        else if (v === true) el.setAttribute(k, "");
        else el.setAttribute(k, v);
    }
    for (const c of children.flat(Infinity)) {
        if (c === null || c === undefined || c === false) continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

const SVG = "http://www.w3.org/2000/svg";
const paths = {
    // 512-unit paths in the style of PatternFly's icons
    check: "M173.9 439.4 7.5 273c-10-10-10-26.2 0-36.2l36.2-36.2c10-10 26.2-10 36.2 0L192 312.7 432.1 72.6c10-10 26.2-10 36.2 0l36.2 36.2c10 10 10 26.2 0 36.2l-294.4 294.4c-10 10-26.2 10-36.2 0z",
    warning: "M504 448 280 40c-11-20-37-20-48 0L8 448c-11 20 3 44 24 44h448c21 0 35-24 24-44zM256 416a32 32 0 1 1 0-64 32 32 0 0 1 0 64zm24-112h-48l-8-160h64z",
    danger: "M256 8a248 248 0 1 0 0 496 248 248 0 0 0 0-496zm0 384a32 32 0 1 1 0-64 32 32 0 0 1 0 64zm28-112h-56l-12-168h80z",
    info: "M256 8a248 248 0 1 0 0 496 248 248 0 0 0 0-496zm0 96a36 36 0 1 1 0 72 36 36 0 0 1 0-72zm48 296H208v-32h24V240h-24v-32h72v160h24z",
    kebab: "M256 160a48 48 0 1 0 0-96 48 48 0 0 0 0 96zm0 48a48 48 0 1 0 0 96 48 48 0 0 0 0-96zm0 144a48 48 0 1 0 0 96 48 48 0 0 0 0-96z",
    close: "M326 256 488 94c19-19 19-51 0-70s-51-19-70 0L256 186 94 24C75 5 43 5 24 24S5 75 24 94l162 162L24 418c-19 19-19 51 0 70s51 19 70 0l162-162 162 162c19 19 51 19 70 0s19-51 0-70z",
    sort: "M128 96 32 224h192zm0 320 96-128H32z",
    up: "M128 96 32 256h192z",
    down: "M128 416 224 256H32z",
};
export function icon(name, cls = "") {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", name === "sort" || name === "up" || name === "down" ? "0 0 256 512" : "0 0 512 512");
    svg.setAttribute("fill", "currentColor");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("width", "1em");
    svg.setAttribute("height", "1em");
    if (cls) svg.setAttribute("class", cls);
    const p = document.createElementNS(SVG, "path");
    p.setAttribute("d", paths[name]);
    svg.append(p);
    return svg;
}

export function button(text, onclick, { variant = "secondary", disabled = false, small = false, id, label, danger = false } = {}) {
    return h("button", {
        class: `pf-c-button pf-m-${variant}${small ? " pf-m-small" : ""}${danger ? " pf-m-danger" : ""}`,
        type: "button", onclick, disabled, id, "aria-label": label,
    }, text);
}

// PatternFly label: color one of blue, green, orange, red, grey, purple, cyan, gold
export function label(text, color = "grey", title) {
    return h("span", { class: `pf-c-label pf-m-compact${color === "grey" ? "" : " pf-m-" + color}`, title },
             h("span", { class: "pf-c-label__content" }, text));
}

export function alert(variant, title, body, onClose) {
    const el = h("div", { class: `pf-c-alert pf-m-inline pf-m-${variant}`, "aria-label": `${variant} alert` },
        h("div", { class: "pf-c-alert__icon" }, icon(variant === "success" ? "check" : variant)),
        h("p", { class: "pf-c-alert__title" }, h("span", { class: "pf-screen-reader" }, `${variant} alert:`), title),
        onClose ? h("div", { class: "pf-c-alert__action" },
            h("button", { class: "pf-c-button pf-m-plain", type: "button", "aria-label": "Close alert", onclick: () => { el.remove(); onClose(); } },
              icon("close"))) : null,
        body ? h("div", { class: "pf-c-alert__description" }, body) : null);
    return el;
}

// Results of actions, newest on top, in the page's alert area.
export function notify(variant, title, body) {
    const area = document.getElementById("bl-alerts");
    if (!area) return;
    const item = h("li", { class: "pf-c-alert-group__item" });
    item.append(alert(variant, title, body, () => item.remove()));
    area.prepend(item);
    while (area.children.length > 4) area.lastChild.remove();
    // as Cockpit's toasts: successes go away by themselves, failures stay until closed
    if (variant === "success") setTimeout(() => item.remove(), 8000);
}

export function emptyState(title, body, variant = "info", ...actions) {
    return h("div", { class: "pf-c-empty-state", role: "status" },
        h("div", { class: "pf-c-empty-state__content" },
            h("div", { class: `pf-c-empty-state__icon bl-icon-${variant}` }, icon(variant)),
            h("h2", { class: "pf-c-title pf-m-lg" }, title),
            body ? h("div", { class: "pf-c-empty-state__body" }, body) : null,
            actions.length ? h("div", { class: "pf-c-empty-state__primary" }, ...actions) : null));
}

export function spinner(text = "Loading") {
    return h("span", { class: "pf-c-spinner pf-m-md", role: "progressbar", "aria-valuetext": text },
        h("span", { class: "pf-c-spinner__clipper" }),
        h("span", { class: "pf-c-spinner__lead-ball" }),
        h("span", { class: "pf-c-spinner__tail-ball" }));
}

const focusable = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

// modal({title, body, actions: [{text, variant, run, id, disabled}], onClose, width})
// run() may return a Promise; the dialog stays open (buttons busy) until it settles, and closes
// when it resolves to something other than false. Returns {close, el, setError}.
export function modal({ title, body, actions = [], onClose, variant }) {
    const opener = document.activeElement;
    const titleId = `bl-modal-title-${Math.random().toString(36).slice(2)}`;
    const error = h("div", { class: "bl-modal-error" });
    const footer = h("footer", { class: "pf-c-modal-box__footer" });
    const box = h("div", { class: `pf-c-modal-box pf-m-sm${variant ? " pf-m-" + variant : ""}`, role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
        h("button", { class: "pf-c-button pf-m-plain", type: "button", "aria-label": "Close", onclick: () => close() }, icon("close")),
        h("header", { class: "pf-c-modal-box__header" },
            h("h1", { class: "pf-c-modal-box__title", id: titleId }, title)),
        h("div", { class: "pf-c-modal-box__body" }, body, error),
        footer);
    const backdrop = h("div", { class: "pf-c-backdrop" }, h("div", { class: "pf-l-bullseye" }, box));
    let busy = false;
    const buttons = actions.map(a => {
        const b = button(a.text, async () => {
            if (busy) return;
            if (!a.run) { close(); return; }
            busy = true;
            buttons.forEach(x => { x.disabled = true; });
            b.append(h("span", { class: "bl-busy" }, " …"));
            let keep;
            try {
                keep = await a.run();
            } finally {
                busy = false;
                b.querySelector(".bl-busy")?.remove();
                actions.forEach((x, i) => { buttons[i].disabled = typeof x.disabled === "function" ? x.disabled() : !!x.disabled; });
            }
            if (keep !== false) close();
        }, { variant: a.variant || "secondary", id: a.id, danger: a.danger });
        b.disabled = typeof a.disabled === "function" ? a.disabled() : !!a.disabled;
        return b;
    });
    footer.append(...buttons);
    function onKey(e) {
        if (e.key === "Escape" && !busy) { e.preventDefault(); close(); return; }
        if (e.key !== "Tab") return;
        const f = [...box.querySelectorAll(focusable)];
        if (!f.length) return;
        const first = f[0], last = f[f.length - 1];
        if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
        else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
    function close() {
        backdrop.remove();
        document.removeEventListener("keydown", onKey, true);
        document.body.classList.remove("pf-c-backdrop__open");
        // the table under a dialog may have been redrawn: find the opener's successor
        const fid = opener?.dataset?.focusId;
        const target = opener?.isConnected ? opener : fid ? document.querySelector(`[data-focus-id="${CSS.escape(fid)}"]`) : null;
        target?.focus();
        if (onClose) onClose();
    }
    document.addEventListener("keydown", onKey, true);
    document.body.append(backdrop);
    document.body.classList.add("pf-c-backdrop__open");
    const first = box.querySelector(".pf-c-modal-box__body " + focusable) || buttons[buttons.length - 1] || box.querySelector(focusable);
    first?.focus();
    return {
        close, el: box,
        setError(msg) { error.replaceChildren(msg ? alert("danger", msg) : ""); },
        refresh() { actions.forEach((x, i) => { buttons[i].disabled = typeof x.disabled === "function" ? x.disabled() : !!x.disabled; }); },
    };
}

// confirm({title, text, consequences: [..], confirm: "Reset", danger, force: {label}, run(force)})
// A destructive action says what happens (to running clients too) before it is done; with
// `force`, the confirm button stays disabled until the box is ticked.
export function confirm({ title, text, consequences = [], confirmText, danger = true, force, run }) {
    let forced = false;
    const box = force ? h("input", { class: "pf-c-check__input", type: "checkbox", id: "bl-confirm-force", onchange: e => { forced = e.target.checked; dlg.refresh(); } }) : null;
    const body = h("div", {},
        text ? h("p", {}, text) : null,
        consequences.length ? h("ul", { class: "bl-consequences" }, consequences.map(c => h("li", {}, c))) : null,
        force ? h("div", { class: "pf-c-check bl-force" }, box, h("label", { class: "pf-c-check__label", for: "bl-confirm-force" }, force.label)) : null);
    const dlg = modal({
        title, body, variant: danger ? "warning" : null,
        actions: [
            { text: confirmText, variant: danger ? "danger" : "primary", id: "bl-confirm", disabled: () => !!force && !forced, run: async () => run(forced) },
            { text: "Cancel", variant: "link", id: "bl-cancel" },
        ],
    });
    return dlg;
}

// An action menu (kebab): items [{text, run, danger, disabled, separator}]
let openMenu = null;
// Tables are redrawn on every status change; not while a menu is open (it would vanish under
// the user): they wait for "bl-menu-closed".
export const menuIsOpen = () => openMenu !== null;
export function actionMenu(items, labelText, focusId) {
    const toggle = h("button", { class: "pf-c-dropdown__toggle pf-m-plain", type: "button", "aria-label": labelText, "aria-haspopup": "true", "aria-expanded": "false", "data-focus-id": focusId }, icon("kebab"));
    const list = h("ul", { class: "pf-c-dropdown__menu pf-m-align-right", role: "menu", hidden: true });
    const wrap = h("div", { class: "pf-c-dropdown" }, toggle, list);
    const entries = [];
    for (const it of items) {
        if (it.separator) { list.append(h("li", { class: "pf-c-divider", role: "separator" })); continue; }
        const b = h("button", { class: `pf-c-dropdown__menu-item${it.danger ? " bl-danger" : ""}`, type: "button", role: "menuitem", tabindex: "-1", disabled: !!it.disabled, onclick: () => { close(true); it.run(); } }, it.text);
        entries.push(b);
        list.append(h("li", { role: "none" }, b));
    }
    function open() {
        if (openMenu && openMenu !== close) openMenu(false);
        list.hidden = false;
        wrap.classList.add("pf-m-expanded");
        // open upwards when the frame has no room below the toggle
        wrap.classList.remove("pf-m-top");
        if (toggle.getBoundingClientRect().bottom + list.offsetHeight + 8 > window.innerHeight &&
            toggle.getBoundingClientRect().top > list.offsetHeight + 8)
            wrap.classList.add("pf-m-top");
        toggle.setAttribute("aria-expanded", "true");
        openMenu = close;
        (entries.find(e => !e.disabled) || entries[0])?.focus();
    }
    function close(refocus = true) {
        list.hidden = true;
        wrap.classList.remove("pf-m-expanded");
        toggle.setAttribute("aria-expanded", "false");
        if (openMenu === close) openMenu = null;
        if (refocus) toggle.focus();
        document.dispatchEvent(new CustomEvent("bl-menu-closed"));
    }
    toggle.addEventListener("click", () => (list.hidden ? open() : close()));
    toggle.addEventListener("keydown", e => { if (e.key === "ArrowDown") { e.preventDefault(); open(); } });
    list.addEventListener("keydown", e => {
        const live = entries.filter(x => !x.disabled);
        const i = live.indexOf(document.activeElement);
        if (e.key === "ArrowDown") { e.preventDefault(); live[(i + 1) % live.length]?.focus(); }
        else if (e.key === "ArrowUp") { e.preventDefault(); live[(i - 1 + live.length) % live.length]?.focus(); }
        else if (e.key === "Home") { e.preventDefault(); live[0]?.focus(); }
        else if (e.key === "End") { e.preventDefault(); live[live.length - 1]?.focus(); }
        else if (e.key === "Escape") { e.preventDefault(); close(); }
        else if (e.key === "Tab") close(false);
    });
    return wrap;
}
document.addEventListener("click", e => {
    if (openMenu && !e.target.closest(".pf-c-dropdown")) openMenu(false);
});

// A sortable column header: th with a button; state {key, asc}; onSort(key)
export function sortHeader(text, key, state, onSort, extra = {}) {
    const active = state.key === key;
    return h("th", { class: `pf-c-table__sort${active ? " pf-m-selected" : ""}`, scope: "col", "aria-sort": active ? (state.asc ? "ascending" : "descending") : "none", ...extra },
        h("button", { class: "pf-c-table__button", type: "button", onclick: () => onSort(key) },
            h("div", { class: "pf-c-table__button-content" },
                h("span", { class: "pf-c-table__text" }, text),
                h("span", { class: "pf-c-table__sort-indicator" }, icon(active ? (state.asc ? "up" : "down") : "sort")))));
}

// Form field: label + control (+ helper text)
export function field(labelText, control, helper) {
    const id = control.id || `bl-f-${Math.random().toString(36).slice(2)}`;
    control.id = id;
    return h("div", { class: "pf-c-form__group" },
        h("div", { class: "pf-c-form__group-label" }, h("label", { class: "pf-c-form__label", for: id }, h("span", { class: "pf-c-form__label-text" }, labelText))),
        h("div", { class: "pf-c-form__group-control" }, control,
            helper ? h("div", { class: "pf-c-form__helper-text" }, helper) : null));
}

export function textInput(attrs = {}) {
    return h("input", { class: "pf-c-form-control", type: "text", ...attrs });
}

export function select(options, value, attrs = {}) {
    const s = h("select", { class: "pf-c-form-control", ...attrs },
        options.map(o => h("option", { value: o.value ?? o, selected: (o.value ?? o) === value }, o.text ?? o)));
    return s;
}

export function checkbox(labelText, attrs = {}) {
    const id = attrs.id || `bl-c-${Math.random().toString(36).slice(2)}`;
    const input = h("input", { class: "pf-c-check__input", type: "checkbox", ...attrs, id });
    return { input, el: h("div", { class: "pf-c-check" }, input, h("label", { class: "pf-c-check__label", for: id }, labelText)) };
}

// Result of a linkctl change, as an alert: linkctl's own sentence, and whether linkmgr applied it
export function reportResult(r, what) {
    if (!r.ok) {
        notify("danger", `${what}: failed`, r.error);
        return false;
    }
    const d = r.doc || {};
    const applied = d.applied ? "linkmgr applied it." :
        d.linkmgr_running === false ? "Saved; linkmgr is not running, so it applies when linkmgr starts." :
        d.linkmgr_error ? `Saved, but linkmgr could not apply it: ${d.linkmgr_error}` : "";
    notify("success", d.change || what, applied);
    return true;
}
