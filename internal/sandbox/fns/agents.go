package fns

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"idflow/internal/validate"
)

// agent is an employee account of the partner's company (§1.13).
type agent struct {
	id                   int64
	acc                  *account
	username             string
	lastName             string
	firstName            string
	middleName           string
	email                string
	phone                string
	unstructuredIdentity string
	snils                string
	position             string
	company              int64
	permissions          []string
	points               []int64
}

// agentBody is the POST and PUT /api/rb/staff/agent body.
type agentBody struct {
	Username             *jstr  `json:"username"`
	Password             *jstr  `json:"password"`
	LastName             *jstr  `json:"last_name"`
	FirstName            *jstr  `json:"first_name"`
	MiddleName           *jstr  `json:"middle_name"`
	Email                *jstr  `json:"email"`
	Phone                *jstr  `json:"phone"`
	UnstructuredIdentity *jstr  `json:"unstructured_identity"`
	SNILS                *jstr  `json:"snils"`
	Position             *jstr  `json:"position"`
	Company              *jstr  `json:"company"`
	Permissions          []jstr `json:"permissions"`
	Points               []jstr `json:"identification_points"`
	IsActive             *bool  `json:"is_active"`
}

// json renders the agent as create and update answer.
func (a *agent) json() map[string]any {
	perms := slices.Clone(a.permissions)
	pts := slices.Clone(a.points)
	slices.Sort(pts)
	return map[string]any{"id": a.id, "username": a.username, "last_name": a.lastName, "first_name": a.firstName,
		"middle_name": a.middleName, "snils": a.snils, "position": a.position, "identification_points": pts,
		"unstructured_identity": a.unstructuredIdentity, "token": a.acc.token, "phone": a.phone, "company": a.company,
		"permissions": perms, "is_active": a.acc.active, "email": nullable(jstr(a.email))}
}

// listJSON renders the agent in the list.
func (a *agent) listJSON() map[string]any {
	pts := []any{}
	for _, id := range a.points {
		if p := points[id]; p != nil {
			pts = append(pts, map[string]any{"id": p.ID, "name": p.Name, "address": p.Address})
		}
	}
	return map[string]any{"id": a.id, "username": a.username, "last_name": a.lastName, "first_name": a.firstName,
		"middle_name": a.middleName, "is_active": a.acc.active,
		"company": map[string]any{"id": CompanyID, "name": partnerCompanyName}, "identification_points": pts}
}

// applyAgent checks body's fields (all required ones when create) and
// writes them into a; it returns the field errors; the caller holds s.mu.
func (s *Sandbox) applyAgent(a *agent, in *agentBody, create bool) errs {
	e := errs{}
	str := func(field string, v *jstr, required bool, dst *string) {
		if v == nil {
			if required {
				e.add(field, msgRequired)
			}
			return
		}
		if required && strings.TrimSpace(string(*v)) == "" {
			e.add(field, msgRequired)
			return
		}
		*dst = strings.TrimSpace(string(*v))
	}
	var username, password string
	str("username", in.Username, true, &username) // required on PUT too (A24)
	str("password", in.Password, create, &password)
	str("last_name", in.LastName, create, &a.lastName)
	str("first_name", in.FirstName, create, &a.firstName)
	str("middle_name", in.MiddleName, create, &a.middleName)
	str("email", in.Email, false, &a.email)
	var phone, snils, company string
	str("phone", in.Phone, create, &phone)
	str("unstructured_identity", in.UnstructuredIdentity, create, &a.unstructuredIdentity)
	str("snils", in.SNILS, create, &snils)
	str("position", in.Position, create, &a.position)
	str("company", in.Company, create, &company)
	if phone != "" {
		if validate.PhoneFNS(phone) != nil {
			e.add("phone", msgPhone)
		}
		a.phone = phone
	}
	if snils != "" {
		if validate.SNILS(snils) != nil {
			e.add("snils", msgSNILS)
		} else {
			for _, o := range s.agents {
				if o != a && o.acc.active && validate.NormalizeSNILS(o.snils) == validate.NormalizeSNILS(snils) {
					e.add("snils", msgAgentSNILSActive)
					break
				}
			}
		}
		a.snils = snils
	}
	if company != "" {
		if n, err := strconv.ParseInt(company, 10, 64); err != nil || n != CompanyID {
			e.add("company", `Недопустимый первичный ключ "`+company+`" - объект не существует.`)
		} else {
			a.company = n
		}
	}
	if in.Permissions != nil || create {
		if len(in.Permissions) == 0 {
			e.add("permissions", msgRequired)
		}
		a.permissions = nil
		for _, p := range in.Permissions {
			if p != PermCreateAgent && p != PermIdentify {
				e.add("permissions", `Значение "`+string(p)+`" отсутствует среди допустимых вариантов.`)
				continue
			}
			a.permissions = append(a.permissions, string(p))
		}
	}
	if in.Points != nil || create {
		if len(in.Points) == 0 {
			e.add("identification_points", msgRequired)
		}
		a.points = nil
		for _, p := range in.Points {
			n, err := strconv.ParseInt(string(p), 10, 64)
			if err != nil || points[n] == nil {
				e.add("identification_points", `Недопустимый первичный ключ "`+string(p)+`" - объект не существует.`)
				continue
			}
			a.points = append(a.points, n)
		}
	}
	if username != "" {
		if o, taken := s.accounts[username]; taken && o != a.acc {
			e.add("username", msgUsernameTaken)
		}
	}
	if len(e) > 0 {
		return e
	}
	if a.acc == nil {
		a.acc = &account{token: newToken(), active: true, agent: a}
	}
	if username != a.username {
		delete(s.accounts, a.username)
		a.username, a.acc.username = username, username
		s.accounts[username] = a.acc
	}
	if password != "" {
		a.acc.password = password
	}
	if in.IsActive != nil {
		a.acc.active = *in.IsActive
	}
	return nil
}

// handleAgentCreate serves POST /api/rb/staff/agent (partner or create_new_agent).
func (s *Sandbox) handleAgentCreate(w http.ResponseWriter, r *http.Request) {
	if !caller(r).can(PermCreateAgent) {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var in agentBody
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	a := &agent{}
	if e := s.applyAgent(a, &in, true); len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	a.id = int64(len(s.agents) + 1)
	s.agents[a.id] = a
	s.tokens[a.acc.token] = a.acc
	writeResult(w, a.json())
}

// handleAgentUpdate serves PUT /api/rb/staff/agent/{id}.
func (s *Sandbox) handleAgentUpdate(w http.ResponseWriter, r *http.Request) {
	if !caller(r).can(PermCreateAgent) {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var in agentBody
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	a := s.agentOfPath(r.PathValue("id"))
	if a == nil {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	cp := *a
	cp.permissions, cp.points = slices.Clone(a.permissions), slices.Clone(a.points)
	accCopy := *a.acc
	if e := s.applyAgent(&cp, &in, false); len(e) > 0 {
		*a.acc = accCopy
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	*a = cp
	a.acc.agent = a
	writeResult(w, a.json())
}

// agentOfPath finds an agent by numeric id or by username (the table calls
// agent_id "account name"); the caller holds s.mu.
func (s *Sandbox) agentOfPath(v string) *agent {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if a := s.agents[n]; a != nil {
			return a
		}
	}
	if acc := s.accounts[v]; acc != nil {
		return acc.agent
	}
	return nil
}

// handleAgentList serves GET /api/rb/staff/agent (one page holds all).
func (s *Sandbox) handleAgentList(w http.ResponseWriter, r *http.Request) {
	if !caller(r).can(PermCreateAgent) {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	res := []any{}
	for id := int64(1); id <= int64(len(s.agents)); id++ {
		res = append(res, s.agents[id].listJSON())
	}
	writeResult(w, map[string]any{"count": len(res), "next": nil, "previous": nil, "results": res})
}

// handleIdentificationSearch serves POST /api/rb/workflow/identification/search/ (§1.4.1).
func (s *Sandbox) handleIdentificationSearch(w http.ResponseWriter, r *http.Request) {
	acc := caller(r)
	if !acc.can(PermIdentify) {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var in struct {
		Consumer *struct {
			Phone      jstr       `json:"phone"`
			SNILS      jstr       `json:"snils"`
			Identities []identity `json:"identities"`
		} `json:"consumer"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Consumer == nil {
		writeError(w, http.StatusBadRequest, map[string]any{"consumer": []string{msgRequired}})
		return
	}
	q := in.Consumer
	e := errs{}
	e.required("phone", q.Phone)
	if q.SNILS == "" && len(q.Identities) == 0 {
		e.add("non_field_errors", "Укажите паспорт или СНИЛС")
	}
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any{"consumer": map[string]any(e)})
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	var found *workflow
	for _, wf := range s.order {
		c := wf.consumer
		if wf.removed || wf.typ != TypeIdentification || wf.state == StateRejected || wf.state == StateError || c.person.Phone != q.Phone {
			continue
		}
		match := q.SNILS != "" && validate.NormalizeSNILS(string(q.SNILS)) == validate.NormalizeSNILS(string(c.person.SNILS))
		for _, a := range q.Identities {
			for _, b := range c.person.Identities {
				if a.Series == b.Series && a.Number == b.Number {
					match = true
				}
			}
		}
		if match {
			found = wf // the newest wins
		}
	}
	if found == nil {
		writeNonField(w, msgWorkflowNotFound)
		return
	}
	found.searchedBy[acc.username] = true
	s.touch(found.consumer)
	c := found.consumer
	ids := []any{}
	for _, i := range c.person.Identities {
		ids = append(ids, identityJSON(i))
	}
	writeResult(w, map[string]any{"id": found.id, "state": found.state, "children": found.children(),
		"created": ts(found.created), "updated": ts(found.updated),
		"consumer": map[string]any{"id": c.id, "last_name": string(c.person.LastName), "first_name": string(c.person.FirstName),
			"middle_name": nullable(c.person.MiddleName), "birthed": string(c.person.Birthed), "snils": string(c.person.SNILS),
			"phone": string(c.person.Phone), "identities": ids}})
}

// handleConsumerSearch serves POST /api/rb/consumer/search (§1.12).
func (s *Sandbox) handleConsumerSearch(w http.ResponseWriter, r *http.Request) {
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var in struct {
		LastName   jstr       `json:"last_name"`
		FirstName  jstr       `json:"first_name"`
		MiddleName jstr       `json:"middle_name"`
		Birthed    jstr       `json:"birthed"`
		SNILS      jstr       `json:"snils"`
		INN        jstr       `json:"inn"`
		Phone      jstr       `json:"phone"`
		Identities []identity `json:"identities"`
	}
	if !decode(w, r, &in) {
		return
	}
	e := errs{}
	e.required("last_name", in.LastName)
	e.required("first_name", in.FirstName)
	e.required("phone", in.Phone)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	eq := func(a, b jstr) bool {
		return strings.EqualFold(strings.TrimSpace(string(a)), strings.TrimSpace(string(b)))
	}
	opt := func(q, v jstr) bool { return q == "" || eq(q, v) }
	s.mu.Lock()
	defer s.unlock(r)
	var list []*consumer
	for _, c := range s.consumers {
		p := &c.person
		if !eq(in.LastName, p.LastName) || !eq(in.FirstName, p.FirstName) || !opt(in.MiddleName, p.MiddleName) ||
			in.Phone != p.Phone || !opt(in.Birthed, p.Birthed) || !opt(in.INN, p.INN) ||
			(in.SNILS != "" && validate.NormalizeSNILS(string(in.SNILS)) != validate.NormalizeSNILS(string(p.SNILS))) {
			continue
		}
		ok := true
		for _, q := range in.Identities {
			hit := false
			for _, i := range p.Identities {
				if opt(q.Series, i.Series) && opt(q.Number, i.Number) && opt(q.IssueCode, i.IssueCode) &&
					opt(q.IssuedBy, i.IssuedBy) && opt(q.Issued, i.Issued) {
					hit = true
				}
			}
			ok = ok && hit
		}
		if ok {
			list = append(list, c)
		}
	}
	slices.SortFunc(list, func(a, b *consumer) int { return int(a.seq - b.seq) })
	res := []any{}
	for _, c := range list {
		res = append(res, c.searchJSON())
	}
	writeResult(w, res)
}
