// The console's pure helpers (console/format.js) under node's test runner: no browser needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytes, clientState, LineSplitter, looksLikeMac, Rates, sortClients, versionText, warnings } from "../../console/format.js";

const c = (over = {}) => ({ mac: "52:54:00:00:00:01", hostname: "pc01", image: "win10", enabled: true, mode: "volatile",
    role: "normal", booted_version: 0, current_version: 0, building_version: null, update_pending: false,
    reset_pending: null, online: false, served: true, read_bytes: 0, write_bytes: 0, overlay_bytes: 0, ...over });

test("bytes", () => {
    assert.equal(bytes(-1), "–");
    assert.equal(bytes(512), "512 B");
    assert.equal(bytes(5 << 20), "5.0 MiB");
});

test("the stream is split into whole lines only", () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
    assert.deepEqual(s.push(':2}\n\n'), ['{"b":2}']);
    assert.deepEqual(s.push(""), []);
});

test("rates from successive documents; idle when no document came for a while", () => {
    const r = new Rates(5);
    r.update(100, [c({ read_bytes: 0 })]);
    assert.deepEqual(r.get(c().mac, 100), { read: null, write: null });
    r.update(102, [c({ read_bytes: 4 << 20, write_bytes: 2 << 20 })]);
    assert.deepEqual(r.get(c().mac, 103), { read: 2 << 20, write: 1 << 20 });
    assert.deepEqual(r.get(c().mac, 110), { read: 0, write: 0 });
    r.update(104, [c({ read_bytes: 0 })]);       // counters restarted: unknown, not negative
    assert.deepEqual(r.get(c().mac, 104), { read: null, write: null });
});

test("state, version and warnings", () => {
    assert.equal(clientState(c({ enabled: false, online: true })), "disabled");
    assert.equal(clientState(c({ online: null })), "unknown");
    assert.equal(versionText(c({ role: "super", current_version: 2, building_version: 3 })), "2 → 3");
    assert.equal(versionText(c({ booted_version: -1, current_version: 4 })), "4");
    const w = warnings(c({ update_pending: true, booted_version: 1, current_version: 2, served: false }), true).map(x => x.text);
    assert.deepEqual(w, ["not served by linkmgr (see Doctor)", "update pending: runs version 1, current is 2"]);
    assert.match(warnings(c(), false)[0].text, /linkmgr is not running/);
});

test("sort by state puts online first and disabled last; ties by MAC", () => {
    const list = [c({ mac: "b", enabled: false }), c({ mac: "c" }), c({ mac: "a", online: true }), c({ mac: "d" })];
    assert.deepEqual(sortClients(list, "state").map(x => x.mac), ["a", "c", "d", "b"]);
    assert.deepEqual(sortClients(list, "state", false).map(x => x.mac), ["b", "d", "c", "a"]);
});

test("MAC spellings linkctl takes", () => {
    for (const m of ["52:54:00:aa:00:01", "52-54-00-AA-00-01", "5254.00aa.0001", "525400aa0001"]) assert.ok(looksLikeMac(m), m);
    for (const m of ["52:54:00:zz:00:01", "52:54:00:aa:00", ""]) assert.ok(!looksLikeMac(m), m);
});
