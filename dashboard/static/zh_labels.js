// Streamlit's own English in a Chinese page, said in Chinese: the file uploader's button and size note, the keyboard
// users' "Skip to main content" link, and the labels screen readers read (aria-label: "Help for …", "Remove …"; a
// date box's month "12 – December"; a select box's "Choose an option").
// Streamlit has no option for these texts. i18n.chinese_builtins loads this file with window.__outreachLang set; in
// English it puts every text it changed back. Only exact texts of Streamlit's are changed, never the users' data.
(() => {
  const w = window;
  if (!w.__outreachLabels) {
    // text nodes, matched whole, only inside these Streamlit parts
    const PARTS = "[data-testid=stFileUploader], [data-testid=stSkipToContent]";
    const size = (s) => s.replace(/^([\d.,]+)\s*([KMG]?B)$/, "$1 $2");
    const TEXTS = [
      [/^Upload$/, () => "选择文件"],
      [/^Upload directories$/, () => "选择文件夹"],
      [/^(.+?) per file$/, (m) => `或把文件拖到这里 · 每个文件不超过 ${size(m[1])}`],
      [/^• [A-Z, ]+$/, () => ""], // the file types: the label says them (CSV or Excel)
      [/^Drag and drop (?:a file|files) here$/, () => "把文件拖到这里"],
      [/^add icon$/, () => "添加文件"],
      [/^Skip to main content$/, () => "跳到主要内容"],
    ];
    // aria-label anywhere: Streamlit's widgets and tables name their buttons in English (a chart's own description,
    // written by Vega, is not among them)
    const LABELS = [
      [/^Help for (.+)$/s, (m) => `说明：${m[1]}`],
      [/^Help$/, () => "说明"],
      [/^file upload$/, () => "选择文件"],
      [/^Add files$/, () => "添加文件"],
      [/^Remove (.+)$/s, (m) => `移除 ${m[1]}`],
      [/^Choose date$/, () => "选择日期"],
      [/^Choose date range$/, () => "选择日期范围"],
      [/^(year|month|day), (.+)$/s, (m) => `${{ year: "年", month: "月", day: "日" }[m[1]]}，${said(m[2])}`],
      [/^(.+) (start|end) date$/s, (m) => `${m[1]}：${m[2] === "start" ? "开始日期" : "结束日期"}`],
      [/^(.+) — (start|end)$/s, (m) => `${m[1]} — ${m[2] === "start" ? "起" : "止"}`],
      [/^App pages$/, () => "页面"],
      [/^Link to heading$/, () => "链接到这个标题"],
      [/^Download as CSV$/, () => "下载为 CSV"],
      [/^Download as PNG$/, () => "下载为 PNG"],
      [/^Download as SVG$/, () => "下载为 SVG"],
      [/^Show data$/, () => "查看数据"],
      [/^Copy Vega-Lite spec$/, () => "复制图表定义"],
      [/^Vega visualization$/, () => "图表"],
      [/^Fullscreen$/, () => "全屏"],
      [/^Close fullscreen$/, () => "退出全屏"],
      [/^Search$/, () => "搜索"],
      [/^Show\/hide columns$/, () => "显示或隐藏列"],
      [/^Add row$/, () => "添加一行"],
      [/^Show password$/, () => "显示密码"],
      [/^Hide password$/, () => "隐藏密码"],
      [/^Clear value$/, () => "清除"],
      [/^Clear all$/, () => "全部清除"],
      [/^Open$/, () => "展开"],
      [/^Close$/, () => "关闭"],
      [/^Increment$/, () => "加一"],
      [/^Decrement$/, () => "减一"],
      [/^Selected values$/, () => "已选"],
      [/^Main menu$/, () => "主菜单"],
      [/^Sidebar$/, () => "侧栏"],
      [/^Expand sidebar$/, () => "展开侧栏"],
      [/^Collapse sidebar$/, () => "收起侧栏"],
      [/^progress$/i, () => "进度"], // a progress bar (the sidebar's training notice, the targets' progress)
    ];
    // the month a date box's month segment reads out ("12 – December", react-aria in the en-US locale Streamlit
    // gives the box) and the placeholder of a select box with nothing chosen
    const VALUES = [
      [/^(\d{1,2}) – [A-Z][a-z]+$/, (m) => `${m[1]}月`],
      [/^Empty$/, () => "空"],
    ];
    const PLACEHOLDERS = [[/^Choose (?:an option|options)$/, () => "请选择"]];
    const RULES = { "aria-label": LABELS, "aria-valuetext": VALUES, placeholder: PLACEHOLDERS };
    const ATTRIBUTES = Object.keys(RULES);
    const SELECTOR = ATTRIBUTES.map((a) => `[${a}]`).join(",");
    const said = (value) => rewrite(LABELS, value) ?? value; // a label inside a label
    const changed = new Map(); // a text node -> the English it held; an element -> {attribute: the English}
    const rewrite = (rules, value) => {
      for (const [pattern, say] of rules) {
        const m = value.trim().match(pattern);
        if (m) return say(m);
      }
      return null;
    };
    const text = (node) => {
      const parent = node.parentElement;
      if (!parent || !parent.closest(PARTS)) return;
      const said = rewrite(TEXTS, node.nodeValue);
      if (said !== null && said !== node.nodeValue) {
        if (!changed.has(node)) changed.set(node, node.nodeValue);
        node.nodeValue = said;
      }
    };
    const label = (element, attribute) => {
      const english = element.getAttribute(attribute) || "";
      const said = rewrite(RULES[attribute], english);
      if (said !== null) {
        const held = changed.get(element) || {};
        if (!(attribute in held)) changed.set(element, { ...held, [attribute]: english });
        (element.__outreachLabel ||= {})[attribute] = said;
        element.setAttribute(attribute, said);
      }
    };
    const labels = (element) => ATTRIBUTES.forEach((a) => element.hasAttribute(a) && label(element, a));
    const walk = (root) => {
      if (root.nodeType === Node.TEXT_NODE) return text(root);
      if (root.nodeType !== Node.ELEMENT_NODE) return;
      labels(root);
      root.querySelectorAll(SELECTOR).forEach(labels);
      if (root.matches(PARTS) || root.closest(PARTS) || root.querySelector(PARTS)) {
        const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        while (texts.nextNode()) text(texts.currentNode);
      }
    };
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === "childList") r.addedNodes.forEach(walk);
        else if (r.type === "characterData") text(r.target);
        else if (r.type === "attributes") {
          const now = r.target.getAttribute(r.attributeName);
          if (now !== null && now !== (r.target.__outreachLabel || {})[r.attributeName]) {
            const held = changed.get(r.target); // Streamlit set a new text: translate that one
            if (held) delete held[r.attributeName];
            label(r.target, r.attributeName);
          }
        }
      }
    });
    w.__outreachLabels = {
      on() {
        walk(document.body);
        observer.observe(document.body, {
          subtree: true,
          childList: true,
          characterData: true,
          attributes: true,
          attributeFilter: ATTRIBUTES,
        });
      },
      off() {
        observer.disconnect();
        changed.forEach((english, node) => {
          if (node.nodeType === Node.TEXT_NODE) node.nodeValue = english;
          else {
            node.__outreachLabel = undefined;
            Object.entries(english).forEach(([attribute, value]) => node.setAttribute(attribute, value));
          }
        });
        changed.clear();
      },
    };
  }
  if (w.__outreachLang === "zh") w.__outreachLabels.on();
  else w.__outreachLabels.off();
})();
