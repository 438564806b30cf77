// Checks the chosen file before it goes to S3, which would answer a file too large with an
// error page of its own: its size, and that its name ends as the type chosen. Without
// JavaScript the page states both, and the checker refuses a wrong file after the upload.
(function () {
  var form = document.querySelector('form[data-max-bytes]');
  var input = form && form.querySelector('input[type="file"]');
  if (!input) return;
  var group = input.closest('.form-group');
  var title = document.title;

  // As the page writes sizes (binary megabytes, one decimal), rounded up: never "20 MB" for
  // a file over the limit of 20 MB.
  function megabytes(bytes) {
    return (Math.ceil(bytes * 10 / 1048576) / 10) + ' MB';
  }

  function problem(file) {
    if (!file) return 'Choose the file to upload';
    var extensions = form.getAttribute('data-extensions').split(',');
    var name = file.name.toLowerCase();
    var typeOk = extensions.some(function (extension) {
      return name.slice(-extension.length) === extension;
    });
    if (!typeOk) {
      return 'The file must be a ' + form.getAttribute('data-type-label') + ' (' + extensions.join(', ') + '): choose another, or go back and change the type';
    }
    if (file.size === 0) return 'The file is empty: choose another';
    if (file.size > Number(form.getAttribute('data-max-bytes'))) {
      return 'The file is ' + megabytes(file.size) + ': choose one of up to ' + form.getAttribute('data-max-size');
    }
    return null;
  }

  function show(message) {
    var old = document.getElementById(input.id + '-error');
    if (old) old.parentNode.removeChild(old);
    var described = [input.id + '-hint'];
    if (message) {
      var error = document.createElement('p');
      error.className = 'error-message';
      error.id = input.id + '-error';
      var prefix = document.createElement('span');
      prefix.className = 'visually-hidden';
      prefix.textContent = 'Error: ';
      error.appendChild(prefix);
      error.appendChild(document.createTextNode(message));
      input.parentNode.insertBefore(error, input);
      described.push(error.id);
    }
    group.classList.toggle('form-group--error', Boolean(message));
    input.setAttribute('aria-describedby', described.join(' '));
    document.title = (message ? 'Error: ' : '') + title;
  }

  form.addEventListener('submit', function (event) {
    var message = problem(input.files && input.files[0]);
    show(message);
    if (message) {
      event.preventDefault();
      input.focus();
    }
  });
  input.addEventListener('change', function () {
    show(null);
  });
})();
