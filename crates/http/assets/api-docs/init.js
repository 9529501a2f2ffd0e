// Starts Swagger UI on this server's OpenAPI document. A file of its own (not an inline
// script) so the page's Content-Security-Policy can keep `script-src 'self'`.
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Never ask an outside validator about the document: everything stays on this server.
    validatorUrl: null,
    tryItOutEnabled: false,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
