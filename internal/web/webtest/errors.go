package webtest

import (
	"errors"
	"testing"

	"leadbox/internal/lead"
)

// WantError fails unless err is a *lead.Error with one of codes and a
// message: what the parsers of requests must refuse with, so that the
// handlers can answer it.
func WantError(t testing.TB, err error, codes ...lead.Code) {
	t.Helper()
	var e *lead.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		t.Fatalf("error %T %#v is not a *lead.Error with a message", err, err)
	}
	for _, c := range codes {
		if e.Code == c {
			return
		}
	}
	t.Fatalf("error code %d (%v), want one of %v", e.Code, err, codes)
}
