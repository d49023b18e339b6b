package main

import (
	"errors"
	"flag"
	"fmt"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// tokenCommands manage the REST API's bearer tokens. A token belongs to one
// account and acts as an admin of it; edits made with it are recorded as the
// admin's who created it.
func tokenCommands() map[string]command {
	return map[string]command{
		"create": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			name := fs.String("name", "", "what the token is for, e.g. the integration's name")
			user := fs.Int64("user", 0, "the admin the token acts for (default: the account's first active admin)")
			return func(a *admin) (any, error) {
				creator, err := tokenCreator(a, *user)
				if err != nil {
					return nil, err
				}
				t, secret, err := a.store.CreateAPIToken(a.ctx, a.account, *name, &creator)
				if err != nil {
					return nil, err
				}
				return struct {
					store.APIToken
					Token string `json:"token"`
					Note  string `json:"note"`
				}{t, secret, "Shown once: only its hash is kept. Send it as Authorization: Bearer <token>."}, nil
			}
		}},
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) { return a.store.ListAPITokens(a.ctx, a.account) }
		}},
		"revoke": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			id := fs.Int64("id", 0, "token id")
			return func(a *admin) (any, error) {
				if err := needID(*id); err != nil {
					return nil, err
				}
				if err := a.store.RevokeAPIToken(a.ctx, a.account, *id); err != nil {
					return nil, err
				}
				return struct {
					ID      int64 `json:"id"`
					Revoked bool  `json:"revoked"`
				}{*id, true}, nil
			}
		}},
	}
}

// tokenCreator returns the admin a new token acts for: the one named, which
// must be an active admin of the account, or the account's first.
func tokenCreator(a *admin, id int64) (int64, error) {
	if id != 0 {
		u, err := a.store.GetUser(a.ctx, a.account, id)
		if err != nil {
			return 0, fmt.Errorf("--user %d: no such user in account %d", id, a.account)
		}
		if u.Role != lead.RoleAdmin || !u.Active {
			return 0, fmt.Errorf("--user %d: not an active admin", id)
		}
		return u.ID, nil
	}
	users, err := a.store.ListUsers(a.ctx, a.account)
	if err != nil {
		return 0, err
	}
	for _, u := range users {
		if u.Role == lead.RoleAdmin && u.Active {
			return u.ID, nil
		}
	}
	return 0, errors.New("the account has no active admin: create one with user create --role admin, or pass --user")
}
