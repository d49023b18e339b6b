package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
)

// sourceView is how the CLI shows a source: with its full webhook URL.
type sourceView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	URL       string `json:"url,omitempty"`
	Enabled   bool   `json:"enabled"`
	AccountID int64  `json:"accountId"`
	Defaults  struct {
		UserIDOwner    *int64 `json:"userIdOwner"`
		FunnelStageID  *int64 `json:"funnelStageId"`
		LocationUnitID *int64 `json:"locationUnitId"`
		LocationCityID *int64 `json:"locationCityId"`
	} `json:"defaults"`
	Leads    *int64 `json:"leadCount,omitempty"`
	LastLead *int64 `json:"dtLastLead,omitempty"`
}

func (a *admin) sourceView(src lead.Source) sourceView {
	v := sourceView{ID: src.ID, Name: src.Name, Type: src.Type, Enabled: src.Enabled, AccountID: src.AccountID}
	if src.Token != "" {
		v.URL = webhookURL(a.cfg.BaseURL, src.Token)
	}
	v.Defaults.UserIDOwner, v.Defaults.FunnelStageID = src.DefaultOwnerID, src.DefaultStageID
	v.Defaults.LocationUnitID, v.Defaults.LocationCityID = src.DefaultUnitID, src.DefaultCityID
	return v
}

func webhookURL(base, token string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + "/hooks/" + token
}

// optID is an optional id flag: unset means nil.
type optID struct{ v *int64 }

func (o *optID) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatInt(*o.v, 10)
}

func (o *optID) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return errors.New("must be a positive integer")
	}
	o.v = &n
	return nil
}

func needID(id int64) error {
	if id <= 0 {
		return errors.New("--id is required")
	}
	return nil
}

var commands = map[string]map[string]command{
	"account": {
		"create": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			name := fs.String("name", "", "account (company) name")
			return func(a *admin) (any, error) {
				if *name == "" {
					return nil, errors.New("--name is required")
				}
				return a.store.CreateAccount(a.ctx, *name)
			}
		}},
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) { return a.store.ListAccounts(a.ctx) }
		}},
	},
	"source": {
		"create": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			name := fs.String("name", "", "name managers see, e.g. the site's name")
			typ := fs.String("type", lead.SourceWebhook, "webhook, manual, phone, site or other")
			var owner, stage, office, city optID
			fs.Var(&owner, "owner", "default owner (user id) of its leads")
			fs.Var(&stage, "stage", "default funnel stage id of its leads")
			fs.Var(&office, "office", "default office id of its leads")
			fs.Var(&city, "city", "default city id of its leads")
			return func(a *admin) (any, error) {
				src, err := a.store.CreateSource(a.ctx, lead.Source{AccountID: a.account, Name: *name, Type: *typ,
					DefaultOwnerID: owner.v, DefaultStageID: stage.v, DefaultUnitID: office.v, DefaultCityID: city.v})
				if err != nil {
					return nil, err
				}
				return a.sourceView(src), nil
			}
		}},
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) {
				list, err := a.store.ListSources(a.ctx, a.account)
				out := []sourceView{}
				for _, st := range list {
					v := a.sourceView(st.Source)
					v.Leads, v.LastLead = &st.Leads, st.LastLead
					out = append(out, v)
				}
				return out, err
			}
		}},
		"rotate": {sourceAction(func(a *admin, id int64) (lead.Source, error) { return a.store.RotateSourceToken(a.ctx, a.account, id) })},
		"disable": {sourceAction(func(a *admin, id int64) (lead.Source, error) {
			return a.store.SetSourceEnabled(a.ctx, a.account, id, false)
		})},
		"enable": {sourceAction(func(a *admin, id int64) (lead.Source, error) {
			return a.store.SetSourceEnabled(a.ctx, a.account, id, true)
		})},
		"log": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			id := fs.Int64("id", 0, "source id")
			limit := fs.Int("limit", 20, "how many of the newest deliveries")
			return func(a *admin) (any, error) {
				if err := needID(*id); err != nil {
					return nil, err
				}
				return deliveryViews(a.store.ListDeliveries(a.ctx, a.account, *id, 0, *limit))
			}
		}},
	},
	"user": {
		"create": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			email := fs.String("email", "", "login email")
			name := fs.String("name", "", "full name")
			role := fs.String("role", lead.RoleManager, "admin or manager")
			pass := fs.String("password", "", "password (default: generated and printed once)")
			return func(a *admin) (any, error) {
				return withPassword(*pass, func(hash string) (lead.User, error) {
					return a.store.CreateUser(a.ctx, lead.User{AccountID: a.account, Name: *name, Email: *email, Role: *role, PasswordHash: hash})
				})
			}
		}},
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) { return a.store.ListUsers(a.ctx, a.account) }
		}},
		// A lost password, the first admin's included: the way back in for
		// whoever runs the server. It ends the user's sessions.
		"password": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			email := fs.String("email", "", "the user's login email")
			pass := fs.String("password", "", "the new password (default: generated and printed once)")
			return func(a *admin) (any, error) {
				u, err := a.store.UserByEmail(a.ctx, *email)
				if err != nil || u.AccountID != a.account {
					return nil, fmt.Errorf("--email %q: no such user in account %d", *email, a.account)
				}
				return withPassword(*pass, func(hash string) (lead.User, error) {
					return a.store.UpdateUser(a.ctx, a.account, u.ID, store.UserPatch{PasswordHash: &hash})
				})
			}
		}},
	},
	"token":   tokenCommands(),
	"jobs":    jobCommands(),
	"erasure": erasureCommands(),
	"office":  refCommands(store.Offices),
	"city":    refCommands(store.Cities),
	"stage": {
		"create": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			name := fs.String("name", "", "stage name")
			color := fs.String("color", "", "colour, e.g. #3b82f6")
			return func(a *admin) (any, error) { return a.store.CreateStage(a.ctx, a.account, *name, *color) }
		}},
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) { return a.store.ListStages(a.ctx, a.account) }
		}},
	},
}

// userWithPassword is a user as `user create` and `user password` print it:
// with the password when leadbox made it up, which is shown this once.
type userWithPassword struct {
	lead.User
	Password string `json:"password,omitempty"`
}

// withPassword gives save the hash of the given password, or of a generated
// one, and returns the user it saved with the generated password.
func withPassword(given string, save func(hash string) (lead.User, error)) (any, error) {
	p := given
	if p == "" {
		p = password.Generate()
	}
	hash, err := password.Hash(p)
	if err != nil {
		return nil, err
	}
	u, err := save(hash)
	if err != nil {
		return nil, err
	}
	out := userWithPassword{User: u}
	if given == "" {
		out.Password = p
	}
	return out, nil
}

func sourceAction(do func(a *admin, id int64) (lead.Source, error)) func(fs *flag.FlagSet) func(*admin) (any, error) {
	return func(fs *flag.FlagSet) func(*admin) (any, error) {
		id := fs.Int64("id", 0, "source id")
		return func(a *admin) (any, error) {
			if err := needID(*id); err != nil {
				return nil, err
			}
			src, err := do(a, *id)
			if err != nil {
				return nil, err
			}
			return a.sourceView(src), nil
		}
	}
}

func refCommands(kind store.RefKind) map[string]command {
	return map[string]command{
		"create": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			name := fs.String("name", "", "name")
			return func(a *admin) (any, error) { return a.store.CreateRef(a.ctx, kind, a.account, *name) }
		}},
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) { return a.store.ListRefs(a.ctx, kind, a.account) }
		}},
	}
}

// deliveryView shows a delivery with its body as text.
type deliveryView struct {
	lead.Delivery
	Body string `json:"body"`
}

func deliveryViews(ds []lead.Delivery, err error) (any, error) {
	out := []deliveryView{}
	for _, d := range ds {
		out = append(out, deliveryView{Delivery: d, Body: string(d.Body)})
	}
	return out, err
}
