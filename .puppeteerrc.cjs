// npm cannot download browsers here: the browser suites drive Debian's browsers
// (scripts/setup.sh installs them), so puppeteer's install step downloads nothing.
/** @type {import('puppeteer').Configuration} */
module.exports = { skipDownload: true };
