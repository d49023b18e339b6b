package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"leadbox/internal/lead"
)

// ListSourcesPlain returns an account's sources without their lead counts,
// for menus and labels where counting a million leads would be waste.
func (s *Store) ListSourcesPlain(ctx context.Context, accountID int64) ([]lead.Source, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+sourceColumns+" FROM sources WHERE account_id = $1 ORDER BY id", accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list sources: %w", err))
	}
	defer rows.Close()
	out := []lead.Source{}
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, src)
	}
	return out, s.wrap(rows.Err())
}

// CanListen reports whether ListenLeads hears other processes.
func (s *Store) CanListen() bool { return s.dialect.name == "postgres" }

// ListenLeads calls fn for every lead NotifyLead announces, from any process,
// until ctx ends or the connection fails. It holds one pooled connection in
// LISTEN mode and discards it afterwards.
func (s *Store) ListenLeads(ctx context.Context, ready func(), fn func(accountID, leadID int64)) error {
	if !s.CanListen() {
		return errors.New("listen: only PostgreSQL announces leads across processes")
	}
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return s.wrap(fmt.Errorf("listen: %w", err))
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		var schema string
		if err := pc.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return driver.ErrBadConn
		}
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{"leadbox_leads_" + schema}.Sanitize()); err != nil {
			return driver.ErrBadConn
		}
		if ready != nil {
			ready()
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return driver.ErrBadConn // the connection is in LISTEN mode: never give it back
			}
			a, l, ok := strings.Cut(n.Payload, ":")
			acct, err1 := strconv.ParseInt(a, 10, 64)
			id, err2 := strconv.ParseInt(l, 10, 64)
			if ok && err1 == nil && err2 == nil {
				fn(acct, id)
			}
		}
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.wrap(fmt.Errorf("listen: %w", err))
}

// Dashboard is what the dashboard draws, over Days days up to now.
type Dashboard struct {
	From       int64             // unix seconds, start of the first day
	Days       int               // number of days
	PerDay     map[int64][]int64 // source id (0: none) → leads per day
	ByStage    map[int64]int64   // funnel stage id (0: none) → leads
	Campaigns  []CampaignCount   // top UTM campaigns
	Total      int64             // leads in the period
	Duplicates int64             // of them, with a firstId
}

// CampaignCount is one UTM campaign and its leads.
type CampaignCount struct {
	Name  string
	Leads int64
}

// LoadDashboard counts an account's leads of the days days from `from`.
// Two passes over leads_account_period, which holds every column they read
// (migration 0014): the leads per source, day and stage, which give the
// per-day chart, the stages, the total and the duplicates; and the top
// campaigns. At a million leads a year, 30 days are 80,000 index entries
// per pass.
func (s *Store) LoadDashboard(ctx context.Context, accountID int64, from time.Time, days int) (Dashboard, error) {
	d := Dashboard{From: from.Unix(), Days: days, PerDay: map[int64][]int64{}, ByStage: map[int64]int64{}}
	const where = " FROM leads WHERE account_id = $1 AND deleted_at IS NULL AND dt_create >= $2"
	rows, err := s.read.QueryContext(ctx, "SELECT coalesce(source_id, 0), (dt_create - $2) / 86400 AS day, coalesce(funnel_stage_id, 0), count(*), count(first_id)"+
		where+" GROUP BY coalesce(source_id, 0), (dt_create - $2) / 86400, coalesce(funnel_stage_id, 0)", accountID, d.From)
	if err != nil {
		return d, s.wrap(fmt.Errorf("dashboard: %w", err))
	}
	for rows.Next() {
		var src, day, stage, n, dups int64
		if err := rows.Scan(&src, &day, &stage, &n, &dups); err != nil {
			rows.Close()
			return d, s.wrap(err)
		}
		d.ByStage[stage] += n
		d.Total += n
		d.Duplicates += dups
		if day < 0 || day >= int64(days) {
			continue // a lead dated after the last day counts, but is not drawn
		}
		if d.PerDay[src] == nil {
			d.PerDay[src] = make([]int64, days)
		}
		d.PerDay[src][day] += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, s.wrap(err)
	}
	crow, err := s.read.QueryContext(ctx, "SELECT utm_campaign, count(*)"+where+
		" AND utm_campaign IS NOT NULL GROUP BY utm_campaign ORDER BY count(*) DESC, utm_campaign LIMIT 10", accountID, d.From)
	if err != nil {
		return d, s.wrap(fmt.Errorf("dashboard: %w", err))
	}
	defer crow.Close()
	for crow.Next() {
		var c CampaignCount
		if err := crow.Scan(&c.Name, &c.Leads); err != nil {
			return d, s.wrap(err)
		}
		d.Campaigns = append(d.Campaigns, c)
	}
	return d, s.wrap(crow.Err())
}
