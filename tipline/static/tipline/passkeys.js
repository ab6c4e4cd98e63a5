// Passkeys, the one thing on staff pages that needs a script. Without it nothing breaks:
// the area stays hidden and the authenticator code works as before.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    });
  }

  async function run(area) {
    var options = await (await post(area.dataset.options, {})).json();
    if (options.error) {  // e.g. the sign-in is no longer recent: the page to type the password again
      if (options.next) {
        window.location.href = options.next;
      }
      throw new Error(options.error);
    }
    var credential = area.dataset.mode === "register"
      ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
      : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
    var name = area.querySelector("input[name=passkey_name]");
    var answer = await post(area.dataset.finish, { credential: credential.toJSON(), name: name ? name.value : "" });
    var result = await answer.json();
    if (result.next) {
      window.location.href = result.next;
    }
    if (result.error) {
      throw new Error(result.error);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var area = document.getElementById("passkey");
    if (!area || !window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      return;
    }
    area.hidden = false;
    var message = area.querySelector(".passkey-message");
    area.querySelector("button").addEventListener("click", function () {
      message.hidden = true;
      run(area).catch(function (problem) {
        message.textContent = problem.message || String(problem);
        message.hidden = false;
      });
    });
  });
})();
