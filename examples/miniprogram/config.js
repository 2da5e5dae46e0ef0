// What the authority gives a venue's devices. The trust list here is the project's test vector
// (core/tests/vectors/personal.json): replace it with the authority's signed list and its root
// key id, and add the status and revocation lists as they are published.
module.exports = {
  // The JSON of a trust list, or null for none (the page then says so).
  trustList: null,
  // The rule set: a built-in one's id.
  builtin: 'sh-2022-public-48h',
  // The records service the visitor's page checks in through (its domain in the mini-program's
  // request whitelist, HTTPS).
  serviceUrl: 'https://vc.sh.gov.cn',
};
