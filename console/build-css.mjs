// Builds bootlink.css: PatternFly 4's base (variables, reset) and the components the page uses,
// from the locked @patternfly/patternfly package, then the page's own rules (page.css).
//   node build-css.mjs NODE_MODULES PAGE_CSS OUT
// PatternFly's @font-face rules point into its own assets; Cockpit already serves the Red Hat
// fonts at /cockpit/static/fonts (its pages use them the same way), so those rules are replaced
// by ones pointing there and no font file is shipped. Only plain text is handled: no Sass.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [nodeModules, pageCss, out] = process.argv.slice(2);
if (!out) {
    console.error("usage: node build-css.mjs NODE_MODULES PAGE_CSS OUT");
    process.exit(2);
}
const pf = join(nodeModules, "@patternfly", "patternfly");
const components = [
    "Alert/alert.css", "Backdrop/backdrop.css", "Button/button.css", "Card/card.css",
    "Check/check.css", "DescriptionList/description-list.css", "Dropdown/dropdown.css",
    "EmptyState/empty-state.css", "Form/form.css", "FormControl/form-control.css",
    "HelperText/helper-text.css", "Label/label.css", "ModalBox/modal-box.css",
    "Page/page.css", "Spinner/spinner.css", "Table/table.css", "Tabs/tabs.css",
    "Title/title.css", "Toolbar/toolbar.css",
];

// Cockpit 287's static/fonts: FAMILY-STYLE.woff2
const weights = { Regular: 400, Medium: 500, Bold: 700, Black: 900 };
const fonts = {
    RedHatText: ["Regular", "Italic", "Medium", "MediumItalic", "Bold", "BoldItalic"],
    RedHatDisplay: ["Regular", "Italic", "Medium", "MediumItalic", "Bold", "BoldItalic", "Black", "BlackItalic"],
    RedHatMono: ["Regular", "Italic", "Medium", "MediumItalic", "Bold", "BoldItalic"],
};
let faces = "";
for (const [family, styles] of Object.entries(fonts)) {
    for (const s of styles) {
        const italic = s.endsWith("Italic");
        const weight = weights[s.replace("Italic", "") || "Regular"];
        faces += `@font-face{font-family:"${family}";src:url("../../static/fonts/${family}-${s}.woff2") format("woff2");` +
                 `font-style:${italic ? "italic" : "normal"};font-weight:${weight}}\n`;
    }
}

const read = f => readFileSync(f, "utf8");
// @font-face blocks hold no nested braces
const dropFaces = css => css.replace(/@font-face\s*\{[^}]*\}/g, "");
let css = `/* bootlink console: PatternFly ${JSON.parse(read(join(pf, "package.json"))).version} (MIT), ` +
          "built by console/build-css.mjs */\n" + faces + dropFaces(read(join(pf, "patternfly-base.css")));
for (const c of components)
    css += `\n/* ${c} */\n` + dropFaces(read(join(pf, "components", c)));
css += "\n/* page.css */\n" + read(pageCss);
if (/url\(["']?\.\/assets/.test(css)) {
    console.error("build-css.mjs: a rule still points into PatternFly's assets/");
    process.exit(1);
}
writeFileSync(out, css);
