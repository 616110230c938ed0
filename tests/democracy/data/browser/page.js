// Exposes the platform's verifiable.js to the test, exactly as a page would import it.
import * as verifiable from "/static/verifiable.js";

window.verifiable = verifiable;
document.getElementById("status").textContent = "ready";
