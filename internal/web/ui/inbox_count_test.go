package ui

import (
	"testing"
	"time"
)

func TestCountLabel(t *testing.T) {
	for _, c := range []struct {
		c      leadCount
		ru, en string
	}{
		{leadCount{N: 0, Exact: true}, "0", "0"},
		{leadCount{N: 1234, Exact: true}, "1\u00a0234", "1,234"},
		{leadCount{N: 10_000, Pending: true}, "больше 10\u00a0000", "over 10,000"},
		{leadCount{Pending: true}, "считаем…", "counting…"},
		{leadCount{N: 1_234_567}, "≈ 1,2 млн", "≈ 1.2M"},
		{leadCount{N: 2_000_000}, "≈ 2 млн", "≈ 2M"},
		{leadCount{N: 12_345}, "≈ 12\u00a0300", "≈ 12,300"},
		{leadCount{N: 4, At: time.Now(), Pending: true}, "≈ 4", "≈ 4"},
		{leadCount{N: 999_999}, "≈ 1\u00a0000\u00a0000", "≈ 1,000,000"},
	} {
		if got := c.c.Label("ru"); got != c.ru {
			t.Errorf("%+v in Russian: %q, want %q", c.c, got, c.ru)
		}
		if got := c.c.Label("en"); got != c.en {
			t.Errorf("%+v in English: %q, want %q", c.c, got, c.en)
		}
	}
}
