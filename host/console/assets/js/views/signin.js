// Signing in (only when the server runs with --auth): an access key of its
// auth file. The session then stands for that user, with its policy.

import * as api from '../api.js';
import { h, replace } from '../dom.js';

export function signInPage(onSignedIn) {
  const key = h('input', { type: 'text', name: 'accessKeyId', autocomplete: 'username', 'aria-label': 'Access key ID', placeholder: 'Access key ID' });
  const secret = h('input', { type: 'password', name: 'secretAccessKey', autocomplete: 'current-password', 'aria-label': 'Secret access key', placeholder: 'Secret access key' });
  const problem = h('div', { class: 'error-text', 'data-testid': 'signin-problem' });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api.signIn(key.value.trim(), secret.value);
        secret.value = '';
        onSignedIn();
      } catch (err) {
        replace(problem, err.message);
      }
    },
  }, key, secret, problem, h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  return {
    element: h('section', { class: 'panel signin' },
      h('h1', {}, 'Sign in'),
      h('p', { class: 'muted' }, 'This server requires an access key from its auth file. You can do in the console exactly what your policy lets you do with the API.'),
      form),
  };
}
