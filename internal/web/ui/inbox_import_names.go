package ui

import (
	"slices"
	"strings"

	"leadbox/internal/lead"
	"leadbox/internal/leadfile"
)

// nameIndex finds the account's sources, stages and users by what a
// spreadsheet calls them: a name in any case, «ё» as «е», extra spaces
// aside; users by their email too. A name two of them share finds
// neither (ambiguous).
type nameIndex map[string]map[string][]int64 // target → key → ids

func newNameIndex(n *names) nameIndex {
	idx := nameIndex{leadfile.SourceName: {}, leadfile.StageName: {}, leadfile.OwnerName: {}}
	add := func(target, name string, id int64) {
		if k := nameKey(name); k != "" && !slices.Contains(idx[target][k], id) {
			idx[target][k] = append(idx[target][k], id)
		}
	}
	for _, x := range n.Sources {
		add(leadfile.SourceName, x.Name, x.ID)
	}
	for _, x := range n.Stages {
		add(leadfile.StageName, x.Name, x.ID)
	}
	for _, x := range n.Users {
		if x.Active {
			add(leadfile.OwnerName, x.Name, x.ID)
			add(leadfile.OwnerName, x.Email, x.ID)
		}
	}
	return idx
}

func nameKey(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(strings.ToLower(s)), " "), "ё", "е")
}

// resolve sets in's source, stage and owner from the names cells holds (by
// leadfile target); a name the account does not have, or has twice, is the
// row's error.
func (idx nameIndex) resolve(cells map[string]string, in *lead.Input) error {
	bad := &lead.Error{Code: lead.EInvalid}
	for _, p := range []struct {
		target, field, none, two string
		dst                      **int64
	}{
		{leadfile.SourceName, "sourceId", msgImportNoSource, msgImportTwoSources, &in.SourceID},
		{leadfile.StageName, "funnelStageId", msgImportNoStage, msgImportTwoStages, &in.FunnelStageID},
		{leadfile.OwnerName, "userIdOwner", msgImportNoOwner, msgImportTwoOwners, &in.UserIDOwner},
	} {
		v, ok := cells[p.target]
		if !ok {
			continue
		}
		switch ids := idx[p.target][nameKey(v)]; len(ids) {
		case 1:
			id := ids[0]
			*p.dst = &id
		case 0:
			bad.Addf(p.field, p.none, v)
		default:
			bad.Addf(p.field, p.two, v)
		}
	}
	if len(bad.Fields) > 0 {
		return bad
	}
	return nil
}

const (
	msgImportNoSource   = "Источника «%s» нет: добавьте его или выберите для столбца «не загружать»."
	msgImportNoStage    = "Этапа «%s» нет в воронке: добавьте его или выберите для столбца «не загружать»."
	msgImportNoOwner    = "Активного пользователя «%s» нет: укажите имя или email сотрудника."
	msgImportTwoSources = "Источников с названием «%s» несколько: переименуйте один из них."
	msgImportTwoStages  = "Этапов с названием «%s» несколько: переименуйте один из них."
	msgImportTwoOwners  = "Пользователей с именем «%s» несколько: укажите email."
)
