package web

// UIText is exported for the tests in package web_test.
var UIText = uiText
