(function () {
  // Autosave for forms marked data-autosave: posts the form a few seconds after typing stops,
  // asking for JSON, and keeps the version field current. Also counts characters left.
  var form = document.querySelector('form[data-autosave]');
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById('autosave-status');
  var version = form.querySelector('input[name="version"]');
  var timer = null;
  var stopped = false;
  function say(text) { if (status) status.textContent = text; }
  function count(field) {
    var out = document.getElementById(field.id + '-count');
    var max = parseInt(field.getAttribute('data-maxlength'), 10);
    if (!out || !max) return;
    var left = max - field.value.length;
    out.textContent = left >= 0 ? left + ' characters left' : (-left) + ' characters too many';
    out.className = left >= 0 ? 'hint' : 'error-message';
  }
  function save() {
    if (stopped) return;
    var data = new URLSearchParams(new FormData(form));
    data.set('decision', 'autosave');
    say('Saving…');
    fetch(form.getAttribute('action'), {
      method: 'POST',
      headers: { 'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: data.toString(),
      credentials: 'same-origin'
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (result.status === 200) {
        version.value = result.body.version;
        say('Saved at ' + new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
      } else if (result.status === 409) {
        stopped = true;
        say(result.body.detail || 'This was changed in another window. Press Save to see both versions.');
      } else {
        say(result.body.detail || 'Not saved yet: press Save to see what to change.');
      }
    }).catch(function () { say('Not saved: check your connection, then press Save.'); });
  }
  form.addEventListener('input', function (event) {
    if (event.target.hasAttribute('data-maxlength')) count(event.target);
    clearTimeout(timer);
    timer = setTimeout(save, 2000);
  });
  Array.prototype.forEach.call(form.querySelectorAll('[data-maxlength]'), count);
})();
