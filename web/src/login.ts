// The login page: the token goes in a POST body (never a URL), the answer
// sets the HttpOnly session cookie, then the dashboard loads.
const form = document.getElementById('login-form') as HTMLFormElement;
const input = document.getElementById('token') as HTMLInputElement;
const error = document.getElementById('login-error') as HTMLParagraphElement;

function fail(message: string) {
  error.textContent = message;
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.hidden = true;
  if (!input.value) {
    fail('Enter the API token.');
    return;
  }
  const button = form.querySelector('button') as HTMLButtonElement;
  button.disabled = true;
  try {
    const res = await fetch('/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token: input.value }),
      credentials: 'same-origin',
    });
    if (res.ok) {
      input.value = '';
      window.location.assign('/');
      return;
    }
    fail(res.status === 401 ? 'That token is not the API token.' : `Sign-in failed (HTTP ${res.status}).`);
  } catch {
    fail('The server did not answer.');
  } finally {
    button.disabled = false;
  }
});
