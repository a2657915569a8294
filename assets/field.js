// 我的工单 (pages/my_orders.py): thumbnails of the photos chosen for a result, drawn in the browser
// before anything is sent. The server checks each photo's content, size and count when the result
// is submitted; this only shows what was picked (and flags what is plainly not a JPEG or PNG).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  field: {
    // a message about the last try goes once the person changes what they are sending
    clear: function () { return null; },
    thumbs: function (contents, names, lang) {
      var zh = lang !== "en";
      if (!contents || !contents.length) { return []; }
      var items = contents.map(function (src, i) {
        var ok = /^data:image\/(jpeg|png);base64,/.test(src || "");
        var name = (names && names[i]) || "";
        var children = ok
          ? [{type: "Img", namespace: "dash_html_components", props: {src: src, alt: name, className: "fo-thumb-img"}}]
          : [{type: "Span", namespace: "dash_html_components",
              props: {children: zh ? "不是 JPEG/PNG" : "not JPEG/PNG", className: "fo-thumb-bad"}}];
        children.push({type: "Span", namespace: "dash_html_components", props: {children: name, className: "fo-thumb-name"}});
        return {type: "Div", namespace: "dash_html_components",
                props: {children: children, className: "fo-thumb" + (ok ? "" : " fo-thumb-invalid")}};
      });
      var count = {type: "Div", namespace: "dash_html_components",
                   props: {children: (zh ? "已选 " + contents.length + " 张照片" : contents.length + " photo(s) chosen"),
                           className: "fo-thumbs-count", id: "fo-thumbs-count"}};
      return [count].concat(items);
    }
  }
});
