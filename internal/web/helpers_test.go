package web_test

import (
	"testing"

	"leadbox/internal/web/webtest"
)

func TestMain(m *testing.M) { webtest.Main(m) }
