package ui

import (
	"context"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// names holds an account's reference data, for showing ids as names and
// for the choices of filters and forms.
type names struct {
	Sources []lead.Source
	Stages  []lead.Stage
	Users   []lead.User
	Offices []lead.Ref
	Cities  []lead.Ref

	source map[int64]string
	stage  map[int64]lead.Stage
	user   map[int64]string
	office map[int64]string
	city   map[int64]string
	loc    *time.Location // the zone times are shown in; nil is UTC
}

// loadNames reads the account's reference data; places is false where
// offices and cities are not shown.
func (s *Server) loadNames(ctx context.Context, accountID int64, places bool) (*names, error) {
	n := &names{source: map[int64]string{}, stage: map[int64]lead.Stage{}, user: map[int64]string{},
		office: map[int64]string{}, city: map[int64]string{}}
	var err error
	if n.Sources, err = s.store.ListSourcesPlain(ctx, accountID); err != nil {
		return nil, err
	}
	if n.Stages, err = s.store.ListStages(ctx, accountID); err != nil {
		return nil, err
	}
	if n.Users, err = s.store.ListUsers(ctx, accountID); err != nil {
		return nil, err
	}
	for _, x := range n.Sources {
		n.source[x.ID] = x.Name
	}
	for _, x := range n.Stages {
		n.stage[x.ID] = x
	}
	for _, x := range n.Users {
		n.user[x.ID] = x.Name
	}
	if places {
		if n.Offices, err = s.store.ListRefs(ctx, store.Offices, accountID); err != nil {
			return nil, err
		}
		if n.Cities, err = s.store.ListRefs(ctx, store.Cities, accountID); err != nil {
			return nil, err
		}
		for _, x := range n.Offices {
			n.office[x.ID] = x.Name
		}
		for _, x := range n.Cities {
			n.city[x.ID] = x.Name
		}
	}
	return n, nil
}

func name(m map[int64]string, id *int64) string {
	if id == nil {
		return ""
	}
	if v, ok := m[*id]; ok {
		return v
	}
	return "#" + itoa(*id)
}

// leadRow is one line of the inbox.
type leadRow struct {
	lead.Lead
	Source, Owner string
	Stage         *lead.Stage
}

func (n *names) rows(ls []lead.Lead) []leadRow {
	out := make([]leadRow, len(ls))
	for i, l := range ls {
		out[i] = leadRow{Lead: l, Source: name(n.source, l.SourceID), Owner: name(n.user, l.UserIDOwner)}
		if l.FunnelStageID != nil {
			if st, ok := n.stage[*l.FunnelStageID]; ok {
				out[i].Stage = &st
			}
		}
	}
	return out
}
