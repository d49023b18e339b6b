package main

import (
	"errors"
	"flag"

	"leadbox/internal/intake"
	"leadbox/internal/store"
)

// erasureCommands are `leadbox erasure create|list|show|purge|retention`,
// with the shorthands `leadbox erase` (create) and `leadbox erasures`
// (list). purge rewrites the database now for erasures whose rewrite waits
// for the night (a SQLite file over store.PurgeNowBytes).
func erasureCommands() map[string]command {
	return map[string]command{
		"create": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			phone := fs.String("phone", "", "the subject's phone, any format")
			email := fs.String("email", "", "the subject's email")
			reason := fs.String("reason", "", "the basis: the subject's request, a withdrawn consent, … (required)")
			dry := fs.Bool("dry-run", false, "count what would be erased; change nothing")
			return func(a *admin) (any, error) {
				req := store.EraseRequest{AccountID: a.account, Actor: "CLI", Reason: *reason, DryRun: *dry}
				var err error
				if req.Phone, req.Email, err = subjectContacts(a.cfg.PhoneRegion, *phone, *email); err != nil {
					return nil, err
				}
				return a.store.Erase(a.ctx, req)
			}
		}},
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			limit := fs.Int("limit", 100, "at most this many, the newest first")
			return func(a *admin) (any, error) { return a.store.ListErasures(a.ctx, a.account, 0, *limit) }
		}},
		"show": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			id := fs.Int64("id", 0, "the erasure")
			return func(a *admin) (any, error) {
				if err := needID(*id); err != nil {
					return nil, err
				}
				return a.store.GetErasure(a.ctx, a.account, *id)
			}
		}},
		"purge": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) {
				n, err := a.store.PurgeErased(a.ctx)
				return map[string]int{"purged": n}, err
			}
		}},
		"retention": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			days := fs.Int("days", -1, "keep raw requests this many days (0: forever); without it, show the setting")
			return func(a *admin) (any, error) {
				if *days >= 0 {
					if err := a.store.SetAccountRetention(a.ctx, a.account, *days); err != nil {
						return nil, err
					}
				}
				d, err := a.store.AccountRetention(a.ctx, a.account)
				return map[string]int{"rawRetentionDays": d}, err
			}
		}},
	}
}

// subjectContacts reads a phone and an email by the webhook's rules, as
// the leads keep them.
func subjectContacts(region, phone, email string) (string, string, error) {
	if phone == "" && email == "" {
		return "", "", errors.New("--phone or --email is required")
	}
	return intake.New(region).Contacts(phone, email)
}
