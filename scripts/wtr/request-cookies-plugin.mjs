// Answers /__request-cookies with the Cookie header the browser sent with that
// request: tests check that no cookie a preview set reaches the test page's
// origin, HttpOnly ones included (document.cookie does not show those).
export function requestCookiesPlugin() {
  return {
    name: 'request-cookies',
    serve(context) {
      if (context.path === '/__request-cookies') return { body: context.get('cookie'), type: 'text/plain' };
      return undefined;
    },
  };
}
