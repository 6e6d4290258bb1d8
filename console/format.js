// Pure helpers: formatting, what a client's status means, rates from the follow stream.
// No DOM and no cockpit here, so node can test them (tests/browser/format.test.mjs).

export function bytes(v) {
    if (v === null || v === undefined || v < 0) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let u = 0, d = v;
    while (d >= 1024 && u < units.length - 1) { d /= 1024; u++; }
    return u === 0 ? `${v} B` : `${d.toFixed(1)} ${units[u]}`;
}

export function rate(v) {
    if (v === null || v === undefined) return "";
    return v === 0 ? "idle" : `${bytes(Math.round(v))}/s`;
}

export function time(ts) {
    if (!ts) return "–";
    const d = new Date(ts * 1000);
    const p = n => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export const clientName = c => c.hostname || c.mac;

// online | offline | disabled | unknown (linkmgr not running)
export function clientState(c) {
    if (!c.enabled) return "disabled";
    if (c.online === null || c.online === undefined) return "unknown";
    return c.online ? "online" : "offline";
}

export function versionText(c) {
    if (c.role === "super" && c.building_version !== null && c.building_version !== undefined)
        return `${c.current_version} → ${c.building_version}`;
    if (c.booted_version < 0) return String(c.current_version);
    return String(c.booted_version);
}

// The warnings column: [{level: "warning"|"info"|"danger", text}]
export function warnings(c, linkmgrRunning) {
    const w = [];
    if (!linkmgrRunning)
        w.push({ level: "warning", text: "online state unknown: linkmgr is not running" });
    else if (c.enabled && c.served === false)
        w.push({ level: "danger", text: "not served by linkmgr (see Doctor)" });
    if (!c.enabled)
        w.push({ level: "info", text: "disabled: told at boot that it is disabled" });
    if (c.update_pending)
        w.push({ level: "info", text: `update pending: runs version ${c.booted_version}, current is ${c.current_version}` });
    if (c.reset_pending)
        w.push({ level: "info", text: c.reset_pending === "now" ? "reset now (forced)" : "reset at its next boot" });
    if (c.role === "super")
        w.push({ level: "info", text: `super client: writes version ${c.building_version ?? "?"}` });
    return w;
}

// Rates from successive status documents. A document arrives only when something changed,
// so a counter that has not moved for longer than `idleAfter` seconds is idle (0), not stuck
// at its last rate. Counters are in whole MiB (LIO's statistics): rates are coarse.
export class Rates {
    constructor(idleAfter = 5) { this.idleAfter = idleAfter; this.last = new Map(); }

    // t: seconds; clients: the document's clients
    update(t, clients) {
        for (const c of clients) {
            const prev = this.last.get(c.mac);
            const cur = { t, read: c.read_bytes, write: c.write_bytes, readRate: null, writeRate: null, moved: t };
            if (prev && c.read_bytes >= 0 && prev.read >= 0 && t > prev.t) {
                const dr = c.read_bytes - prev.read, dw = c.write_bytes - prev.write;
                if (dr < 0 || dw < 0) {           // counters restarted (LUN rebuilt)
                    cur.readRate = cur.writeRate = null;
                } else if (dr === 0 && dw === 0) {
                    Object.assign(cur, { t: prev.t, readRate: prev.readRate, writeRate: prev.writeRate, moved: prev.moved });
                } else {
                    cur.readRate = dr / (t - prev.t);
                    cur.writeRate = dw / (t - prev.t);
                }
            }
            this.last.set(c.mac, cur);
        }
    }

    // {read, write} in bytes/s at time `now`, null when not known yet
    get(mac, now) {
        const r = this.last.get(mac);
        if (!r || r.readRate === null) return { read: null, write: null };
        if (now - r.moved > this.idleAfter) return { read: 0, write: 0 };
        return { read: r.readRate, write: r.writeRate };
    }
}

// Splits a stream into lines: push(chunk) returns the complete lines, keeps the rest.
export class LineSplitter {
    constructor() { this.rest = ""; }
    push(chunk) {
        const text = this.rest + chunk;
        const lines = text.split("\n");
        this.rest = lines.pop();
        return lines.filter(l => l.trim() !== "");
    }
}

// Sorting and filtering the clients table
export function matches(c, text) {
    if (!text) return true;
    const t = text.toLowerCase();
    return [c.mac, c.hostname, c.image, c.mode, clientState(c)].some(v => v && String(v).toLowerCase().includes(t));
}

const sortKeys = {
    name: c => clientName(c).toLowerCase(),
    image: c => c.image,
    version: c => c.booted_version < 0 ? c.current_version : c.booted_version,
    mode: c => c.mode,
    state: c => ["online", "offline", "unknown", "disabled"].indexOf(clientState(c)),
    read: c => c.read_bytes,
    write: c => c.write_bytes,
    overlay: c => c.overlay_bytes,
};

export function sortClients(list, key, ascending = true) {
    const k = sortKeys[key] || sortKeys.name;
    return [...list].sort((a, b) => {
        const x = k(a), y = k(b);
        const r = x < y ? -1 : x > y ? 1 : a.mac < b.mac ? -1 : 1;
        return ascending ? r : -r;
    });
}

// MAC in any spelling linkctl takes; the page only checks the shape, linkctl decides.
export const looksLikeMac = s => /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$|^[0-9a-f]{12}$|^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(s.trim());
