// The dashboard's views live in the address's #fragment, which the server never sees: it
// goes into `next` so that logging in returns to the same view.

const next = document.querySelector('.login-form input[name="next"]');
if (next && location.hash && !next.value.includes("#")) next.value += location.hash;
