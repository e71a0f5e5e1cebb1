// Renders the server's own OpenAPI document. The page's CSP allows only
// this server, so the online validator badge is turned off.
window.ui = SwaggerUIBundle({
  url: "openapi.yaml",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  displayRequestDuration: true,
});
