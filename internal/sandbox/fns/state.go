package fns

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"idflow/internal/sandbox/sandboxstate"
)

// Name of this sandbox in a state file, and kinds of its stored objects.
//
// How it is stored: in parts, each written when it may have changed, so
// that a change costs what it touched, not the size of the whole model.
// A consumer's part (kindConsumer, a consumerPart) holds the consumer and
// everything of theirs: workflows, certificates, confirmation documents,
// scans and documents to sign, written at the end of every critical
// section that touched the consumer (see touch). What belongs to no
// consumer (the id sequence, the test CA, the partner's token, agents,
// undelivered callbacks) is one kindGlobal record, serialised at every save
// and written when it differs; pushes (kindPush) and create counts
// (kindCreate) are a record each. The uploaded files (confirmation
// documents and scans, up to 32 MB each), the certificates' requests and
// DER and the persons' signing keys are kindFile records, written once
// when they appear (none of them changes afterwards). A file written
// before parts, with the whole model as one kindModel record, still opens
// and is converted by the first save.
const (
	stateSandbox = "fns"
	kindModel    = "model"    // kindModel held the whole model (stateVersion 1), by id modelID.
	kindGlobal   = "global"   // kindGlobal is the one globalRecord, by id globalID.
	kindConsumer = "consumer" // kindConsumer is a consumerPart, by consumer id.
	kindPush     = "push"     // kindPush is a pushRecord, by pushKey.
	kindCreate   = "create"   // kindCreate is a create count, by external id.
	kindFile     = "file"     // kindFile is an uploaded file's content by fileKey: fileRecord.
	modelID      = "model"
	globalID     = "global"
	stateVersion = 2
)

// globalRecord is what belongs to no consumer.
type globalRecord struct {
	Version      int               `json:"version"`
	Seq          int64             `json:"seq"`
	CAKey        []byte            `json:"caKey"`  // CAKey is the test CA's key, PKCS#8 DER.
	CACert       []byte            `json:"caCert"` // CACert is the test CA's certificate, DER.
	PartnerToken string            `json:"partnerToken"`
	Agents       []agentRecord     `json:"agents"`    // Agents are by id, 1 first.
	Callbacks    []pendingCallback `json:"callbacks"` // Callbacks are the undelivered ones, in enqueueing order.
}

// consumerPart is a consumer and everything of theirs.
type consumerPart struct {
	Consumer  consumerRecord   `json:"consumer"`
	Workflows []workflowRecord `json:"workflows,omitempty"`
	Certs     []certRecord     `json:"certs,omitempty"`
	ConfDocs  []confDocRecord  `json:"confDocs,omitempty"`
	Scans     []scanRecord     `json:"scans,omitempty"`
	Docs      []docRecord      `json:"docs,omitempty"`
}

// pushKey is the kindPush id of the i-th push, sorting as the pushes do.
func pushKey(i int) string { return fmt.Sprintf("%09d", i) }

// Open returns a Sandbox with cfg's defaults filled in and starts it, like
// New. With cfg.StatePath it opens (or creates) that file and loads the
// state saved there first: steps that fell due while the sandbox was down
// are applied at once (in due order), temporary blocks that ended are
// lifted, and undelivered callbacks are sent again, each when its next
// attempt was due. Every later change is written to the file before it is
// answered. Without a StatePath, Open is New.
//
// What is stored: the id sequence, the test CA's key and certificate, the
// partner's token, consumers (with their blocks and lift times, and the
// legal entities of their scenario-84 signatures), workflows (state, due
// steps as absolute times, parent and child, external ids, removed flags,
// agents' searches, identification data, whom a scenario-84 signature is
// for, an external activity's page), the pushes received, agents with their
// accounts and tokens, certificates (requests and issued certificates; of the
// persons' keys only the signing (КЭП) keys the simulated app keeps, with
// their consumers), confirmation documents and
// scans with their files, the create counts of Creates, and every callback
// not yet delivered or dropped (body, attempts so far, next due time).
// Callbacks() after a reopen lists only those restored undelivered ones.
func Open(cfg Config) (*Sandbox, error) {
	s := newSandbox(cfg)
	if cfg.StatePath != "" {
		ctx := context.Background()
		st, err := sandboxstate.Open(ctx, cfg.StatePath, stateSandbox)
		if err != nil {
			return nil, fmt.Errorf("fns sandbox: %w", err)
		}
		if err := s.load(ctx, st); err != nil {
			_ = st.Close()
			return nil, fmt.Errorf("fns sandbox: load %s: %w", cfg.StatePath, err)
		}
		s.state, s.persistent = st, true
		if err := s.save(); err != nil { // a new file gets the CA and the partner's token at once
			_ = st.Close()
			return nil, fmt.Errorf("fns sandbox: save %s: %w", cfg.StatePath, err)
		}
	}
	s.start()
	return s, nil
}

// stateRecord is the whole model, as restore takes it: assembled from the
// parts of a state file, or read as one record from an older one.
type stateRecord struct {
	globalRecord                  // globalRecord's fields are the model's first ones, as JSON too
	Consumers    []consumerRecord `json:"consumers"` // Consumers are in activation order.
	Certs        []certRecord     `json:"certs"`
	Workflows    []workflowRecord `json:"workflows"` // Workflows are in creation order.
	ConfDocs     []confDocRecord  `json:"confDocs"`
	Scans        []scanRecord     `json:"scans"`
	Docs         []docRecord      `json:"docs,omitempty"` // Docs are the documents to sign; content and signature are files.
	Creates      map[string]int   `json:"creates"`
	Pushes       []pushRecord     `json:"pushes,omitempty"`
}

type pushRecord struct {
	Consumer   string    `json:"consumer"`
	Title      string    `json:"title"`
	Message    string    `json:"message"`
	WorkflowID int64     `json:"workflowId,omitempty"`
	At         time.Time `json:"at"`
}

type activityRecord struct {
	ID      int64             `json:"id"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
}

type consumerRecord struct {
	ID           string        `json:"id"`
	Seq          int64         `json:"seq"`
	Person       person        `json:"person"`
	Entrepreneur *entrepreneur `json:"entrepreneur,omitempty"`
	LegalEntity  *legalEntity  `json:"legalEntity,omitempty"`
	State        string        `json:"state"`
	Created      time.Time     `json:"created"`
	Updated      time.Time     `json:"updated"`
	Point        int64         `json:"point,omitempty"`
	Certs        []int64       `json:"certs,omitempty"`
	BlockedUntil time.Time     `json:"blockedUntil"`
	// LegalEntities are those of the signatures scenario 84 issued.
	LegalEntities []*legalEntity `json:"legalEntities,omitempty"`
	// SignKeys are the person's signing keys (PKCS#8 DER) by certificate
	// id, in a state file written before the keys became files.
	SignKeys map[int64][]byte `json:"signKeys,omitempty"`
	// SignKeyCerts are the certificate ids of the person's signing keys,
	// each a kindFile record (fileSignKey).
	SignKeyCerts []int64 `json:"signKeyCerts,omitempty"`
}

type certRecord struct {
	ID          int64             `json:"id"`
	Type        string            `json:"type"`
	State       string            `json:"state"`
	IsConfirmed bool              `json:"isConfirmed"`
	CSR         []byte            `json:"csr,omitempty"` // CSR and DER are inline in older files; files now (fileCSR, fileDER).
	Subject     map[string]string `json:"subject,omitempty"`
	DER         []byte            `json:"der,omitempty"`
	NotAfter    time.Time         `json:"notAfter"`
	Serial      string            `json:"serial,omitempty"`
	Issuer      map[string]string `json:"issuer,omitempty"`
}

type eventRecord struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
}

type workflowRecord struct {
	ID           int64           `json:"id"`
	Type         string          `json:"type"`
	Scenario     int             `json:"scenario"`
	State        string          `json:"state"`
	Title        string          `json:"title"`
	Consumer     string          `json:"consumer"`
	Callback     string          `json:"callback,omitempty"`
	ExternalID   string          `json:"externalId"`
	Created      time.Time       `json:"created"`
	Updated      time.Time       `json:"updated"`
	Parent       int64           `json:"parent,omitempty"`
	Child        int64           `json:"child,omitempty"`
	ErrorMessage *string         `json:"errorMessage,omitempty"`
	SMEVFailure  string          `json:"smevFailure,omitempty"`
	Temporarily  bool            `json:"temporarily,omitempty"`
	Cert         int64           `json:"cert,omitempty"`
	ConfDocs     []int64         `json:"confDocs,omitempty"`
	Scans        []int64         `json:"scans,omitempty"`
	Docs         []int64         `json:"docs,omitempty"`
	SearchedBy   map[string]bool `json:"searchedBy,omitempty"`
	Agent        int64           `json:"agent,omitempty"`
	Point        int64           `json:"point,omitempty"`
	IDPInfo      *string         `json:"idpInfo,omitempty"`
	AgentInfo    *string         `json:"agentInfo,omitempty"`
	AgentExtra   *string         `json:"agentExtra,omitempty"`
	Events       []eventRecord   `json:"events,omitempty"` // Events are the due steps, at absolute times.
	Removed      bool            `json:"removed,omitempty"`
	Entrepreneur *entrepreneur   `json:"entrepreneur,omitempty"` // Entrepreneur or LegalEntity is whom a scenario-84 signature is for.
	LegalEntity  *legalEntity    `json:"legalEntity,omitempty"`
	Activity     *activityRecord `json:"activity,omitempty"` // Activity is an external activity's page.
}

type confDocRecord struct {
	ID       int64     `json:"id"`
	Workflow int64     `json:"workflow"`
	Title    string    `json:"title"`
	State    string    `json:"state"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

type scanRecord struct {
	ID       int64     `json:"id"`
	Workflow int64     `json:"workflow"`
	DocTitle string    `json:"docTitle"`
	Template bool      `json:"template"`
	Title    string    `json:"title"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

type docRecord struct {
	ID       int64     `json:"id"`
	Workflow int64     `json:"workflow"`
	Title    string    `json:"title"`
	SigName  string    `json:"sigName,omitempty"`
	Viewed   bool      `json:"viewed,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

type agentRecord struct {
	ID                   int64    `json:"id"`
	Username             string   `json:"username"`
	Password             string   `json:"password"`
	Token                string   `json:"token"`
	Active               bool     `json:"active"`
	LastName             string   `json:"lastName"`
	FirstName            string   `json:"firstName"`
	MiddleName           string   `json:"middleName"`
	Email                string   `json:"email"`
	Phone                string   `json:"phone"`
	UnstructuredIdentity string   `json:"unstructuredIdentity"`
	SNILS                string   `json:"snils"`
	Position             string   `json:"position"`
	Company              int64    `json:"company"`
	Permissions          []string `json:"permissions"`
	Points               []int64  `json:"points"`
}

type pendingCallback struct {
	WorkflowID int64     `json:"workflowId"`
	Type       string    `json:"type"`
	State      string    `json:"state"`
	Body       []byte    `json:"body"`
	Attempts   int       `json:"attempts"`
	URL        string    `json:"url"`
	Attempt    int       `json:"attempt"` // Attempt is the index of the next retry step.
	Due        time.Time `json:"due"`     // Due is the next attempt's time; zero for at once.
}

// fileRecord is an uploaded file.
type fileRecord struct {
	Content []byte `json:"content"`
}

// fileKey is the kindFile id of a confirmation document's or scan's file.
func fileKey(kind string, id int64) string { return kind + "/" + strconv.FormatInt(id, 10) }

// Kinds of fileKey.
const (
	fileConfDoc = "confdoc"
	fileScan    = "scan"
	fileCSR     = "csr"     // a certificate's request, by certificate id
	fileDER     = "der"     // an issued certificate, by certificate id
	fileSignKey = "signkey" // a person's signing key (PKCS#8 DER), by its certificate's id
)

// sortedKeys is the ids of m in order.
func sortedKeys[V any](m map[int64]V) []int64 {
	return slices.Sorted(maps.Keys(m))
}

func pointID(p *point) int64 {
	if p == nil {
		return 0
	}
	return p.ID
}

func wfID(w *workflow) int64 {
	if w == nil {
		return 0
	}
	return w.id
}

// addPart adds a consumer's part to r.
func (r *stateRecord) addPart(p consumerPart) {
	r.Consumers = append(r.Consumers, p.Consumer)
	r.Workflows = append(r.Workflows, p.Workflows...)
	r.Certs = append(r.Certs, p.Certs...)
	r.ConfDocs = append(r.ConfDocs, p.ConfDocs...)
	r.Scans = append(r.Scans, p.Scans...)
	r.Docs = append(r.Docs, p.Docs...)
}

// sortParts puts what addPart gathered in the model's orders: consumers
// by activation, the rest by id (which is creation order).
func (r *stateRecord) sortParts() {
	slices.SortFunc(r.Consumers, func(a, b consumerRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	slices.SortFunc(r.Workflows, func(a, b workflowRecord) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(r.Certs, func(a, b certRecord) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(r.ConfDocs, func(a, b confDocRecord) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(r.Scans, func(a, b scanRecord) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(r.Docs, func(a, b docRecord) int { return cmp.Compare(a.ID, b.ID) })
}

// globalRec is what belongs to no consumer; the caller holds s.mu.
func (s *Sandbox) globalRec() globalRecord {
	g := globalRecord{Version: stateVersion, Seq: s.seq, CAKey: s.ca.keyDER, CACert: s.ca.cert.Raw,
		PartnerToken: s.accounts[s.cfg.Username].token}
	for id := int64(1); id <= int64(len(s.agents)); id++ {
		a := s.agents[id]
		g.Agents = append(g.Agents, agentRecord{ID: a.id, Username: a.username, Password: a.acc.password, Token: a.acc.token,
			Active: a.acc.active, LastName: a.lastName, FirstName: a.firstName, MiddleName: a.middleName, Email: a.email,
			Phone: a.phone, UnstructuredIdentity: a.unstructuredIdentity, SNILS: a.snils, Position: a.position,
			Company: a.company, Permissions: a.permissions, Points: a.points})
	}
	for _, c := range s.sent {
		if c.Delivered || c.Dropped {
			continue
		}
		g.Callbacks = append(g.Callbacks, pendingCallback{WorkflowID: c.WorkflowID, Type: c.Type, State: c.State, Body: c.Body,
			Attempts: c.Attempts, URL: c.url, Attempt: c.attempt, Due: c.due})
	}
	return g
}

// pushRecs are the pushes from index from on.
func (s *Sandbox) pushRecs(from int) []pushRecord {
	var out []pushRecord
	for _, p := range s.pushes[from:] {
		out = append(out, pushRecord{Consumer: p.ConsumerID, Title: p.Title, Message: p.Message,
			WorkflowID: p.WorkflowID, At: p.At})
	}
	return out
}

// part is consumer c with its workflows, certificates and documents; the
// caller holds s.mu.
func (s *Sandbox) part(c *consumer) consumerPart {
	cr := consumerRecord{ID: c.id, Seq: c.seq, Person: c.person, Entrepreneur: c.entrepreneur, LegalEntity: c.legalEntity,
		State: c.state, Created: c.created, Updated: c.updated, Point: pointID(c.point), BlockedUntil: c.blockedUntil,
		LegalEntities: c.legalEntities, SignKeyCerts: sortedKeys(c.signKeys)}
	var certs []certRecord
	for _, ce := range c.certs {
		cr.Certs = append(cr.Certs, ce.id)
		certs = append(certs, certRecord{ID: ce.id, Type: ce.typ, State: ce.state, IsConfirmed: ce.isConfirmed,
			Subject: ce.subject, NotAfter: ce.notAfter, Serial: ce.serial, Issuer: ce.issuer})
	}
	p := consumerPart{Consumer: cr, Certs: certs}
	for _, w := range s.byConsumer[c.id] {
		p.Workflows = append(p.Workflows, workflowRec(w))
		for _, d := range w.confDocs {
			p.ConfDocs = append(p.ConfDocs, confDocRecord{ID: d.id, Workflow: d.workflow.id, Title: d.title, State: d.state,
				Created: d.created, Updated: d.updated})
		}
		for _, sc := range w.scans {
			p.Scans = append(p.Scans, scanRecord{ID: sc.id, Workflow: sc.workflow.id, DocTitle: sc.docTitle, Template: sc.template,
				Title: sc.title, Created: sc.created, Updated: sc.updated})
		}
		for _, d := range w.docs {
			p.Docs = append(p.Docs, docRecord{ID: d.id, Workflow: d.workflow.id, Title: d.title, SigName: d.sigName, Viewed: d.viewed,
				Created: d.created, Updated: d.updated})
		}
	}
	return p
}

func workflowRec(w *workflow) workflowRecord {
	wr := workflowRecord{ID: w.id, Type: w.typ, Scenario: w.scenario, State: w.state, Title: w.title, Consumer: w.consumer.id,
		Callback: w.callback, ExternalID: w.externalID, Created: w.created, Updated: w.updated, Parent: wfID(w.parent),
		Child: wfID(w.child), ErrorMessage: w.errorMessage, SMEVFailure: w.smevFailure, Temporarily: w.temporarily,
		SearchedBy: w.searchedBy, Point: pointID(w.point), IDPInfo: w.idpInfo, AgentInfo: w.agentInfo,
		AgentExtra: w.agentExtra, Removed: w.removed, Entrepreneur: w.entrepreneur, LegalEntity: w.legalEntity}
	if a := w.activity; a != nil {
		wr.Activity = &activityRecord{ID: a.id, URL: a.url, Headers: a.headers}
	}
	if w.cert != nil {
		wr.Cert = w.cert.id
	}
	if w.agent != nil {
		wr.Agent = w.agent.id
	}
	for _, d := range w.confDocs {
		wr.ConfDocs = append(wr.ConfDocs, d.id)
	}
	for _, sc := range w.scans {
		wr.Scans = append(wr.Scans, sc.id)
	}
	for _, d := range w.docs {
		wr.Docs = append(wr.Docs, d.id)
	}
	for _, ev := range w.events {
		wr.Events = append(wr.Events, eventRecord{At: ev.at, Kind: ev.kind})
	}
	return wr
}

// load fills a new, not yet started sandbox from st.
func (s *Sandbox) load(ctx context.Context, st *sandboxstate.Store) error {
	r, legacy, err := readState(ctx, st)
	if err != nil || r.Version == 0 {
		return err // a new file when no error
	}
	files, err := st.Load(ctx, kindFile)
	if err != nil {
		return err
	}
	content := map[string][]byte{}
	for _, f := range files {
		var fr fileRecord
		if err := json.Unmarshal(f.Body, &fr); err != nil {
			return fmt.Errorf("file %s: %w", f.ID, err)
		}
		content[f.ID] = fr.Content
	}
	if err := s.restore(r, content); err != nil {
		return err
	}
	s.savedPushes = len(s.pushes)
	if verifySaves {
		for id, c := range s.consumers {
			s.savedParts[id], _ = json.Marshal(s.part(c))
		}
		s.savedCreates = maps.Clone(s.creates)
	}
	if legacy {
		// The first save writes everything in parts and drops the old record.
		s.legacyModel, s.savedPushes = true, 0
		for id := range s.consumers {
			s.dirty[id] = true
		}
		for ext := range s.creates {
			s.dirtyCreates[ext] = true
		}
	}
	return nil
}

// readState assembles the model from st's parts, or reads it from the one
// record of an older file (legacy); Version is 0 for a new file.
func readState(ctx context.Context, st *sandboxstate.Store) (r stateRecord, legacy bool, err error) {
	load := func(kind string, each func(rec sandboxstate.Record) error) error {
		recs, err := st.Load(ctx, kind)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := each(rec); err != nil {
				return fmt.Errorf("%s %s: %w", kind, rec.ID, err)
			}
		}
		return nil
	}
	if err := load(kindModel, func(rec sandboxstate.Record) error { return json.Unmarshal(rec.Body, &r) }); err != nil {
		return r, false, err
	}
	if r.Version != 0 {
		if r.Version != 1 {
			return r, false, fmt.Errorf("model version %d, want 1", r.Version)
		}
		return r, true, nil
	}
	var g globalRecord
	if err := load(kindGlobal, func(rec sandboxstate.Record) error { return json.Unmarshal(rec.Body, &g) }); err != nil || g.Version == 0 {
		return r, false, err
	}
	if g.Version != stateVersion {
		return r, false, fmt.Errorf("state version %d, want %d", g.Version, stateVersion)
	}
	r = stateRecord{globalRecord: g, Creates: map[string]int{}}
	err = errors.Join(
		load(kindConsumer, func(rec sandboxstate.Record) error {
			var p consumerPart
			err := json.Unmarshal(rec.Body, &p)
			r.addPart(p)
			return err
		}),
		load(kindPush, func(rec sandboxstate.Record) error {
			var p pushRecord
			err := json.Unmarshal(rec.Body, &p)
			r.Pushes = append(r.Pushes, p)
			return err
		}),
		load(kindCreate, func(rec sandboxstate.Record) error {
			var n int
			err := json.Unmarshal(rec.Body, &n)
			r.Creates[rec.ID] = n
			return err
		}))
	r.sortParts()
	return r, false, err
}

// restore rebuilds the model from r and the files by fileKey.
func (s *Sandbox) restore(r stateRecord, content map[string][]byte) error {
	key, err := x509.ParsePKCS8PrivateKey(r.CAKey)
	if err != nil {
		return fmt.Errorf("CA key: %w", err)
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return errors.New("CA key: not ECDSA")
	}
	caCert, err := x509.ParseCertificate(r.CACert)
	if err != nil {
		return fmt.Errorf("CA certificate: %w", err)
	}
	s.ca = &testCA{key: ecKey, keyDER: r.CAKey, cert: caCert}
	s.seq = r.Seq
	if r.PartnerToken != "" {
		p := s.accounts[s.cfg.Username]
		delete(s.tokens, p.token)
		p.token = r.PartnerToken
		s.tokens[p.token] = p
	}
	if r.Creates != nil {
		s.creates = r.Creates
	}
	for _, cr := range r.Certs {
		s.certs[cr.ID] = &certificate{id: cr.ID, typ: cr.Type, state: cr.State, isConfirmed: cr.IsConfirmed,
			csr: s.restoredFile(content, fileCSR, cr.ID, cr.CSR), subject: cr.Subject,
			der: s.restoredFile(content, fileDER, cr.ID, cr.DER), notAfter: cr.NotAfter, serial: cr.Serial, issuer: cr.Issuer}
	}
	cert := func(id int64) (*certificate, error) {
		if id == 0 {
			return nil, nil
		}
		if c := s.certs[id]; c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("unknown certificate %d", id)
	}
	for _, cr := range r.Consumers {
		c := &consumer{id: cr.ID, seq: cr.Seq, person: cr.Person, entrepreneur: cr.Entrepreneur, legalEntity: cr.LegalEntity,
			state: cr.State, created: cr.Created, updated: cr.Updated, point: points[cr.Point], blockedUntil: cr.BlockedUntil,
			legalEntities: cr.LegalEntities, signKeys: map[int64]*ecdsa.PrivateKey{}}
		keys := maps.Clone(cr.SignKeys)
		for _, id := range cr.SignKeyCerts {
			if keys == nil {
				keys = map[int64][]byte{}
			}
			keys[id] = s.restoredFile(content, fileSignKey, id, nil)
		}
		for id, der := range keys {
			k, err := x509.ParsePKCS8PrivateKey(der)
			ek, ok := k.(*ecdsa.PrivateKey)
			if err != nil || !ok {
				return fmt.Errorf("consumer %s: signing key %d: not an ECDSA PKCS#8 key", cr.ID, id)
			}
			c.signKeys[id] = ek
		}
		for _, id := range cr.Certs {
			ce, err := cert(id)
			if err != nil {
				return fmt.Errorf("consumer %s: %w", cr.ID, err)
			}
			c.certs = append(c.certs, ce)
		}
		s.consumers[c.id] = c
	}
	for _, ar := range r.Agents {
		a := &agent{id: ar.ID, username: ar.Username, lastName: ar.LastName, firstName: ar.FirstName, middleName: ar.MiddleName,
			email: ar.Email, phone: ar.Phone, unstructuredIdentity: ar.UnstructuredIdentity, snils: ar.SNILS, position: ar.Position,
			company: ar.Company, permissions: ar.Permissions, points: ar.Points}
		a.acc = &account{username: ar.Username, password: ar.Password, token: ar.Token, active: ar.Active, agent: a}
		s.agents[a.id] = a
		s.accounts[a.username] = a.acc
		s.tokens[a.acc.token] = a.acc
	}
	for _, wr := range r.Workflows {
		c := s.consumers[wr.Consumer]
		if c == nil {
			return fmt.Errorf("workflow %d: unknown consumer %s", wr.ID, wr.Consumer)
		}
		ce, err := cert(wr.Cert)
		if err != nil {
			return fmt.Errorf("workflow %d: %w", wr.ID, err)
		}
		w := &workflow{id: wr.ID, typ: wr.Type, scenario: wr.Scenario, state: wr.State, title: wr.Title, consumer: c,
			callback: wr.Callback, externalID: wr.ExternalID, created: wr.Created, updated: wr.Updated,
			errorMessage: wr.ErrorMessage, smevFailure: wr.SMEVFailure, temporarily: wr.Temporarily, cert: ce,
			searchedBy: wr.SearchedBy, agent: s.agents[wr.Agent], point: points[wr.Point], idpInfo: wr.IDPInfo,
			agentInfo: wr.AgentInfo, agentExtra: wr.AgentExtra, removed: wr.Removed,
			entrepreneur: wr.Entrepreneur, legalEntity: wr.LegalEntity}
		if a := wr.Activity; a != nil {
			w.activity = &externalActivity{id: a.ID, url: a.URL, headers: a.Headers}
		}
		if w.searchedBy == nil {
			w.searchedBy = map[string]bool{}
		}
		for _, ev := range wr.Events {
			w.events = append(w.events, event{at: ev.At, kind: ev.Kind})
		}
		s.workflows[w.id] = w
		s.order = append(s.order, w)
		s.byConsumer[c.id] = append(s.byConsumer[c.id], w)
		if !w.removed && w.externalID != "" {
			s.byExternal[w.externalID] = w
		}
	}
	for _, wr := range r.Workflows {
		w := s.workflows[wr.ID]
		w.parent, w.child = s.workflows[wr.Parent], s.workflows[wr.Child]
	}
	for _, dr := range r.ConfDocs {
		w := s.workflows[dr.Workflow]
		if w == nil {
			return fmt.Errorf("confirmation document %d: unknown workflow %d", dr.ID, dr.Workflow)
		}
		d := &confDoc{id: dr.ID, workflow: w, title: dr.Title, content: content[fileKey(fileConfDoc, dr.ID)], state: dr.State,
			created: dr.Created, updated: dr.Updated}
		s.confDocs[d.id] = d
		s.savedFiles[fileKey(fileConfDoc, dr.ID)] = true
	}
	for _, sr := range r.Scans {
		w := s.workflows[sr.Workflow]
		if w == nil {
			return fmt.Errorf("scan %d: unknown workflow %d", sr.ID, sr.Workflow)
		}
		sc := &scan{id: sr.ID, workflow: w, docTitle: sr.DocTitle, template: sr.Template, title: sr.Title,
			content: content[fileKey(fileScan, sr.ID)], created: sr.Created, updated: sr.Updated}
		s.scans[sc.id] = sc
		s.savedFiles[fileKey(fileScan, sr.ID)] = true
	}
	for _, dr := range r.Docs {
		w := s.workflows[dr.Workflow]
		if w == nil {
			return fmt.Errorf("document %d: unknown workflow %d", dr.ID, dr.Workflow)
		}
		d := &signDoc{id: dr.ID, workflow: w, title: dr.Title, content: content[fileKey(fileDocument, dr.ID)],
			sigName: dr.SigName, viewed: dr.Viewed, created: dr.Created, updated: dr.Updated}
		if d.content == nil {
			d.content = []byte{}
		}
		if dr.SigName != "" {
			d.signature = content[fileKey(fileSignature, dr.ID)]
			s.savedFiles[fileKey(fileSignature, dr.ID)] = true
		}
		s.docs[d.id] = d
		s.savedFiles[fileKey(fileDocument, dr.ID)] = true
	}
	for _, wr := range r.Workflows {
		w := s.workflows[wr.ID]
		for _, id := range wr.Docs {
			if d := s.docs[id]; d != nil {
				w.docs = append(w.docs, d)
			}
		}
		for _, id := range wr.ConfDocs {
			if d := s.confDocs[id]; d != nil {
				w.confDocs = append(w.confDocs, d)
			}
		}
		for _, id := range wr.Scans {
			if sc := s.scans[id]; sc != nil {
				w.scans = append(w.scans, sc)
			}
		}
	}
	for _, pr := range r.Pushes {
		s.pushes = append(s.pushes, Push{ConsumerID: pr.Consumer, Title: pr.Title, Message: pr.Message,
			WorkflowID: pr.WorkflowID, At: pr.At})
	}
	for _, pc := range r.Callbacks {
		w := s.workflows[pc.WorkflowID]
		if w == nil {
			continue
		}
		rec := &callbackRecord{CallbackRecord: CallbackRecord{WorkflowID: pc.WorkflowID, Type: pc.Type, State: pc.State,
			Body: pc.Body, Attempts: pc.Attempts}, url: pc.URL, attempt: pc.Attempt, due: pc.Due}
		s.sent = append(s.sent, rec)
		q, ok := s.queues[w.consumer.id]
		if !ok {
			q = &callbackQueue{}
			s.queues[w.consumer.id] = q
		}
		q.events = append(q.events, rec) // started by start
	}
	return nil
}

// restoredFile is the file kind/id, or inline, what an older state file
// kept in the model instead; a file found is marked as written.
func (s *Sandbox) restoredFile(content map[string][]byte, kind string, id int64, inline []byte) []byte {
	if b, ok := content[fileKey(kind, id)]; ok {
		s.savedFiles[fileKey(kind, id)] = true
		return b
	}
	return inline
}

// save writes what changed since the last save: the parts of the
// consumers touched, the global record when it differs, new pushes and
// create counts, and the files that appeared; the caller holds s.mu.
// Without a state file, or once the sandbox is closed, it does nothing.
// After a failed write the next save tries again.
func (s *Sandbox) save() error {
	if s.state == nil || s.closed {
		return nil
	}
	ops, files, global, err := s.unsaved()
	if err != nil {
		return fmt.Errorf("fns sandbox: save state: %w", err)
	}
	if len(ops) > 0 {
		if err := s.state.Apply(context.Background(), ops...); err != nil {
			return fmt.Errorf("fns sandbox: save state: %w", err)
		}
		s.savedGlobal, s.savedPushes, s.legacyModel = global, len(s.pushes), false
		for _, k := range files {
			s.savedFiles[k] = true
		}
	}
	if verifySaves {
		s.verifySaved()
	}
	clear(s.dirty)
	clear(s.dirtyCreates)
	return nil
}

// unsaved is what save writes: the operations, the file keys among them
// and the global record's JSON.
func (s *Sandbox) unsaved() (ops []sandboxstate.Op, files []string, global []byte, err error) {
	if global, err = json.Marshal(s.globalRec()); err != nil {
		return nil, nil, nil, err
	}
	if !bytes.Equal(global, s.savedGlobal) {
		ops = append(ops, sandboxstate.Put(kindGlobal, globalID, json.RawMessage(global)))
	}
	for _, id := range slices.Sorted(maps.Keys(s.dirty)) {
		c := s.consumers[id]
		ops = append(ops, sandboxstate.Put(kindConsumer, id, s.part(c)))
		fileOps, keys, err := s.unsavedFiles(c)
		if err != nil {
			return nil, nil, nil, err
		}
		ops, files = append(ops, fileOps...), append(files, keys...)
	}
	for i, p := range s.pushRecs(s.savedPushes) {
		ops = append(ops, sandboxstate.Put(kindPush, pushKey(s.savedPushes+i), p))
	}
	for ext := range s.dirtyCreates {
		ops = append(ops, sandboxstate.Put(kindCreate, ext, s.creates[ext]))
	}
	if s.legacyModel {
		ops = append(ops, sandboxstate.Delete(kindModel, modelID))
	}
	return ops, files, global, nil
}

// touch marks consumer c's part as to be written by the next save; every
// critical section that may change c, or anything of c's, calls it.
func (s *Sandbox) touch(c *consumer) {
	if c != nil {
		s.dirty[c.id] = true
	}
}

// unsavedFiles are the records of c's files not written yet: the uploaded
// confirmation documents and scans, the documents to sign and their
// signatures, the certificates' requests and DER and the signing keys; the
// caller holds s.mu.
func (s *Sandbox) unsavedFiles(c *consumer) (ops []sandboxstate.Op, written []string, err error) {
	put := func(kind string, id int64, content []byte) {
		if k := fileKey(kind, id); content != nil && !s.savedFiles[k] {
			ops, written = append(ops, sandboxstate.Put(kindFile, k, fileRecord{Content: content})), append(written, k)
		}
	}
	for _, w := range s.byConsumer[c.id] {
		for _, d := range w.confDocs {
			put(fileConfDoc, d.id, d.content)
		}
		for _, sc := range w.scans {
			put(fileScan, sc.id, sc.content)
		}
		for _, d := range w.docs {
			put(fileDocument, d.id, d.content)
			put(fileSignature, d.id, d.signature)
		}
	}
	for _, ce := range c.certs {
		put(fileCSR, ce.id, ce.csr)
		put(fileDER, ce.id, ce.der)
	}
	for _, id := range sortedKeys(c.signKeys) {
		if s.savedFiles[fileKey(fileSignKey, id)] {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(c.signKeys[id])
		if err != nil {
			return nil, nil, err
		}
		put(fileSignKey, id, der)
	}
	return ops, written, nil
}

// fileChanged marks the file of a confirmation document or scan as to be
// written by the next save; the caller holds s.mu.
func (s *Sandbox) fileChanged(kind string, id int64) {
	delete(s.savedFiles, fileKey(kind, id))
}

// saveErrKey is the request context key of the *error the handlers'
// critical sections report a failed save in.
type saveErrKey struct{}

// unlock saves the state and leaves the critical section of a handler of
// r; a failed save makes authed answer 500 instead of the handler.
func (s *Sandbox) unlock(r *http.Request) {
	err := s.save()
	s.mu.Unlock()
	if p, ok := r.Context().Value(saveErrKey{}).(*error); ok && err != nil {
		*p = err
	}
}

// bufferedResponse holds a handler's answer until its state is saved.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// flush sends the held answer.
func (b *bufferedResponse) flush(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(max(b.status, http.StatusOK))
	_, _ = w.Write(b.body.Bytes())
}

// writeSaveError answers a request whose change could not be saved.
func writeSaveError(w http.ResponseWriter) {
	writeDetail(w, http.StatusInternalServerError, "fns sandbox: could not save its state")
}
