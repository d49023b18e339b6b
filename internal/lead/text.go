package lead

import "fmt"

// Text is one user-visible message: a template of the message catalogue,
// worded in Russian (the webhook's language, as the seed page words it), and
// the values that fill it. String is the message in Russian; the web layer's
// catalogue (package i18n) finds the template's entry to say it in English.
type Text struct {
	Format string
	Args   []any
	plain  bool // Format is the message itself, not a template: it may hold a sender's '%'
}

// T returns the message format filled with args.
func T(format string, args ...any) Text { return Text{Format: format, Args: args} }

// IsZero reports whether t is no message at all.
func (t Text) IsZero() bool { return t.Format == "" }

// IsPlain reports whether t is a message of its own rather than a template.
func (t Text) IsPlain() bool { return t.plain }

func (t Text) String() string {
	if t.plain {
		return t.Format
	}
	return fmt.Sprintf(t.Format, t.Args...)
}
