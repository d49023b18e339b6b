package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"leadbox/internal/lead"
)

// maxQuietHistory bounds the lead times one source's check reads.
const maxQuietHistory = 5000

// QuietSource is a source the quiet check found quiet (lead.CheckQuiet).
type QuietSource struct {
	SourceID  int64   `json:"sourceId"`
	AccountID int64   `json:"accountId"`
	Name      string  `json:"name"`
	Reason    string  `json:"reason"`   // lead.QuietGap or lead.QuietRefusal
	Since     int64   `json:"dtSince"`  // when the alarm was raised, ms
	Expected  int64   `json:"expected"` // the expected gap, working minutes; 0 when none was known
	LastLead  *int64  `json:"dtLastLead"`
	Silent    float64 `json:"-"` // working minutes without a lead, as checked
}

// CheckQuietSources judges every enabled webhook source of every account at
// now by w (lead.WorkHours.CheckQuiet): a source found quiet is marked, one
// that has a lead again or takes requests again is cleared. It returns the
// sources newly marked, for their admins to be told.
func (s *Store) CheckQuietSources(ctx context.Context, now time.Time, w lead.WorkHours) ([]QuietSource, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT s.id, s.account_id, s.name, s.quiet_minutes, q.source_id IS NOT NULL
		FROM sources s LEFT JOIN source_quiet q ON q.source_id = s.id
		WHERE s.type = $1 AND s.enabled = $2 ORDER BY s.id`, lead.SourceWebhook, true)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("quiet sources: %w", err))
	}
	type source struct {
		QuietSource
		minutes int
		marked  bool
	}
	var list []source
	for rows.Next() {
		var src source
		if err := rows.Scan(&src.SourceID, &src.AccountID, &src.Name, &src.minutes, &src.marked); err != nil {
			rows.Close()
			return nil, s.wrap(err)
		}
		list = append(list, src)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err)
	}
	var raised []QuietSource
	for _, src := range list {
		leads, last, refused, err := s.sourceHistory(ctx, src.SourceID, now)
		if err != nil {
			return raised, err
		}
		st := w.CheckQuiet(now, src.minutes, leads, last, refused)
		switch {
		case st.Reason != "" && !src.marked:
			q := src.QuietSource
			q.Reason, q.Since, q.Expected, q.Silent = st.Reason, now.UnixMilli(), int64(st.Expected), st.Silent
			if !last.IsZero() {
				ms := last.UnixMilli()
				q.LastLead = &ms
			}
			if _, err := s.write.ExecContext(ctx, `INSERT INTO source_quiet (source_id, account_id, reason, since, expected, last_lead)
				VALUES ($1, $2, $3, $4, $5, $6)`, q.SourceID, q.AccountID, q.Reason, q.Since, q.Expected, q.LastLead); err != nil {
				return raised, s.wrap(fmt.Errorf("mark source %d quiet: %w", q.SourceID, err))
			}
			raised = append(raised, q)
		case st.Reason == "" && src.marked:
			if _, err := s.write.ExecContext(ctx, "DELETE FROM source_quiet WHERE source_id = $1", src.SourceID); err != nil {
				return raised, s.wrap(fmt.Errorf("clear quiet source %d: %w", src.SourceID, err))
			}
		}
	}
	return raised, nil
}

// sourceHistory reads what the quiet check needs of a source: the times of
// the requests that made leads over the window, the newest of them ever, and
// whether its last lead.QuietRefused requests were all refused.
func (s *Store) sourceHistory(ctx context.Context, sourceID int64, now time.Time) (leads []time.Time, last time.Time, refused bool, err error) {
	rows, err := s.read.QueryContext(ctx, `SELECT received_at FROM deliveries
		WHERE source_id = $1 AND status = 201 AND replayed = $2 AND received_at >= $3
		ORDER BY id DESC LIMIT $4`, sourceID, false, now.Add(-lead.QuietWindow).UnixMilli(), maxQuietHistory)
	if err != nil {
		return nil, last, false, s.wrap(fmt.Errorf("source %d history: %w", sourceID, err))
	}
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			rows.Close()
			return nil, last, false, s.wrap(err)
		}
		leads = append(leads, time.UnixMilli(ms))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, last, false, s.wrap(err)
	}
	if len(leads) > 0 {
		last = leads[0]
	} else {
		var ms int64
		err := s.read.QueryRowContext(ctx, `SELECT received_at FROM deliveries WHERE source_id = $1 AND status = 201 AND replayed = $2
			ORDER BY id DESC LIMIT 1`, sourceID, false).Scan(&ms)
		switch {
		case err == nil:
			last = time.UnixMilli(ms)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, last, false, s.wrap(err)
		}
	}
	// Connection checks and spam caught by the honeypot are neither lead nor
	// refusal; the rest of the newest requests tell.
	st, err := s.read.QueryContext(ctx, `SELECT status FROM deliveries WHERE source_id = $1 AND mark <> $2 AND mark <> $3
		ORDER BY id DESC LIMIT $4`, sourceID, lead.MarkTest, lead.MarkSpam, lead.QuietRefused)
	if err != nil {
		return nil, last, false, s.wrap(err)
	}
	defer st.Close()
	n := 0
	refused = true
	for st.Next() {
		var status int
		if err := st.Scan(&status); err != nil {
			return nil, last, false, s.wrap(err)
		}
		n++
		refused = refused && status >= 400
	}
	return leads, last, refused && n == lead.QuietRefused, s.wrap(st.Err())
}

// QuietSources lists an account's sources marked quiet, oldest alarm first.
func (s *Store) QuietSources(ctx context.Context, accountID int64) ([]QuietSource, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT q.source_id, q.account_id, s.name, q.reason, q.since, q.expected, q.last_lead
		FROM source_quiet q JOIN sources s ON s.id = q.source_id
		WHERE q.account_id = $1 AND s.enabled = $2 ORDER BY q.since, q.source_id`, accountID, true)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("quiet sources: %w", err))
	}
	defer rows.Close()
	out := []QuietSource{}
	for rows.Next() {
		var q QuietSource
		if err := rows.Scan(&q.SourceID, &q.AccountID, &q.Name, &q.Reason, &q.Since, &q.Expected, &q.LastLead); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, q)
	}
	return out, s.wrap(rows.Err())
}
