package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/stretchr/testify/require"
)

// methods maps each exported method of Client that sends a request to the
// endpoint it sends. TestOpenAPIEndpoints fails when a method is missing
// here, so a new method is checked against the document too.
var methods = map[string]endpoint{
	"CreateModule":    createModule,
	"ListModules":     listModules,
	"GetModule":       getModule,
	"CreateTrack":     createTrack,
	"ListTracks":      listTracks,
	"GetTrack":        getTrack,
	"Invite":          invite,
	"Advance":         advance,
	"RejectCandidate": rejectCandidate,
	"Import":          importApplication,
	"Move":            move,
	"Reject":          reject,
	"Unreject":        unreject,
	"Hire":            hire,
	"Bulk":            bulk,
	"RecordResult":    recordResult,
	"ListApplicants":  listApplicants,
	"NextApplicants":  listApplicants,
	"GetApplicant":    getApplicant,
	"CreateAPIKey":    createAPIKey,
	"ListAPIKeys":     listAPIKeys,
	"RevokeAPIKey":    revokeAPIKey,
}

// unsentFields are fields of a request type that several endpoints share
// and that one of them does not document. The fields are omitempty, so the
// client sends them only when the caller sets them, and the server ignores
// them.
var unsentFields = map[string][]string{
	"Move":     {"$.send_email", "$.email_message"},
	"Reject":   {"$.destination_stage_id", "$.invite_format"},
	"Unreject": {"$.destination_stage_id", "$.send_email", "$.email_message"},
	"Hire":     {"$.destination_stage_id", "$.invite_format", "$.send_email", "$.email_message"},
}

// documentGaps are response fields that the server sends and the client
// reads but httpapi/openapi.yaml does not describe yet, by the end of their
// path. The test fails when a gap is no longer found, so that the entry is
// removed once the document describes the field.
var documentGaps = []string{}

// TestOpenAPIEndpoints checks every endpoint of the client against
// httpapi/openapi.yaml. The operation must exist, and the JSON fields of the
// response type must be the properties of each documented 2xx schema at
// every level. Each field of the request type must be documented, and the
// documented response examples must decode into the response type with no
// unknown field.
func TestOpenAPIEndpoints(t *testing.T) {
	doc := loadDocument(t)

	var clientMethods []string
	for m := range reflect.TypeFor[*Client]().Methods() {
		clientMethods = append(clientMethods, m.Name)
	}
	for name := range methods {
		require.Contains(t, clientMethods, name)
	}
	for _, name := range clientMethods {
		require.Contains(t, methods, name, "add the endpoint of Client.%s to methods", name)
	}

	gapsFound := map[string]bool{}
	for _, name := range sortedKeys(methods) {
		ep := methods[name]
		t.Run(name, func(t *testing.T) {
			checkSignature(t, name, ep)
			op := operation(doc, ep)
			require.NotNil(t, op, "httpapi/openapi.yaml has no operation %s %s", ep.method, ep.path)

			for _, p := range responseProblems(t, op, ep.out) {
				if gap := knownGap(p); gap != "" {
					gapsFound[gap] = true
					t.Logf("not in the document yet: %s", p)
					continue
				}
				t.Error(p)
			}
			if ep.in != nil {
				for _, p := range requestProblems(t, op, ep.in) {
					if !slices.Contains(unsentFields[name], strings.TrimSuffix(strings.Fields(p)[1], ":")) {
						t.Error(p)
					}
				}
			}
		})
	}
	for _, gap := range documentGaps {
		require.True(t, gapsFound[gap], "httpapi/openapi.yaml now describes %s: remove it from documentGaps", gap)
	}
}

// checkSignature requires the types of ep to be the body parameter and
// the result of the method: a list method returns the elements of the
// list envelope.
func checkSignature(t *testing.T, name string, ep endpoint) {
	t.Helper()
	method, _ := reflect.TypeFor[*Client]().MethodByName(name)
	sig := method.Type

	var body reflect.Type
	for i := range sig.NumIn() {
		if strings.HasSuffix(sig.In(i).Name(), "Input") {
			body = sig.In(i)
		}
	}
	require.Equal(t, fmt.Sprint(reflect.TypeOf(ep.in)), fmt.Sprint(body), "request body type of %s", name)

	if sig.NumOut() == 1 {
		require.Nil(t, ep.out, "%s returns no body", name)
		return
	}
	want := reflect.TypeOf(ep.out)
	if sig.Out(0).Kind() == reflect.Slice {
		data, ok := want.FieldByName("Data")
		require.True(t, ok, "%s returns a list, so its response type is a list envelope", name)
		want = data.Type
	}
	require.Equal(t, want.String(), sig.Out(0).String(), "response type of %s", name)
}

// knownGap returns the entry of documentGaps that problem is about, or "".
func knownGap(problem string) string {
	path, _, ok := strings.Cut(problem, ": the client's field is not in the document")
	if !ok {
		return ""
	}
	for _, gap := range documentGaps {
		if strings.HasSuffix(path, gap) {
			return gap
		}
	}
	return ""
}

// TestOpenAPIFieldCheckFindsDrift checks that the comparison of a Go type
// with a schema names a field that only one of them has, nested ones too.
func TestOpenAPIFieldCheckFindsDrift(t *testing.T) {
	doc := loadDocument(t)
	schema := operation(doc, getTrack).Responses.Codes.GetOrZero("200").Content.GetOrZero("application/json").Schema.Schema()

	type stage struct {
		ID   string `json:"stage_id"`
		Kind string `json:"kind"`
	}
	type track struct {
		ID      int64   `json:"track_id"`
		Stages  []stage `json:"stages"`
		Ignored string  `json:"-"`
	}
	problems := compareFields(reflect.TypeFor[track](), schema, "$", true)

	require.Contains(t, problems, "$.stages[].kind: the client's field is not in the document")
	require.Contains(t, problems, "$.stages[].name: the document's property is not in the client's type")
	require.Contains(t, problems, "$.title: the document's property is not in the client's type")
	require.NotContains(t, strings.Join(problems, "\n"), "track_id")
	require.NotContains(t, strings.Join(problems, "\n"), "stage_id")
}

// loadDocument parses the server's OpenAPI document.
func loadDocument(t *testing.T) *v3.Document {
	t.Helper()
	raw, err := os.ReadFile("../httpapi/openapi.yaml")
	require.NoError(t, err)
	doc, err := libopenapi.NewDocument(raw)
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	return &model.Model
}

// operation returns the document's operation of ep, or nil.
func operation(doc *v3.Document, ep endpoint) *v3.Operation {
	item, ok := doc.Paths.PathItems.Get(ep.path)
	if !ok {
		return nil
	}
	op, _ := item.GetOperations().Get(strings.ToLower(ep.method))
	return op
}

// responseProblems compares out with every documented 2xx JSON response of
// op and decodes their examples into it.
func responseProblems(t *testing.T, op *v3.Operation, out any) []string {
	t.Helper()
	var problems []string
	var successes int
	for code, resp := range op.Responses.Codes.FromOldest() {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		successes++
		var media *v3.MediaType
		if resp.Content != nil {
			media = resp.Content.GetOrZero("application/json")
		}
		if out == nil {
			require.Nil(t, media, "%s documents a body that the client does not read", code)
			continue
		}
		require.NotNil(t, media, "%s has no application/json body", code)

		typ := reflect.TypeOf(out)
		for _, p := range compareFields(typ, media.Schema.Schema(), "$", true) {
			problems = append(problems, fmt.Sprintf("%s response %s", code, p))
		}
		for name, value := range examples(t, media) {
			if err := decodeStrict(value, reflect.New(typ).Interface()); err != nil {
				problems = append(problems, fmt.Sprintf("%s response example %q does not decode into %s: %v", code, name, typ, err))
			}
		}
	}
	require.NotZero(t, successes, "no 2xx response is documented")
	return problems
}

// requestProblems lists the fields that the client sends and the request
// body of op does not document. The document may have more: the client
// need not send every optional field.
func requestProblems(t *testing.T, op *v3.Operation, in any) []string {
	t.Helper()
	require.NotNil(t, op.RequestBody, "the client sends a body that the document does not describe")
	media := op.RequestBody.Content.GetOrZero("application/json")
	require.NotNil(t, media, "the request body has no application/json schema")

	var problems []string
	for _, p := range compareFields(reflect.TypeOf(in), media.Schema.Schema(), "$", false) {
		problems = append(problems, "request "+p)
	}
	return problems
}

// examples returns the media type's examples as JSON, by name.
func examples(t *testing.T, media *v3.MediaType) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	add := func(name string, node interface{ Decode(any) error }) {
		var v any
		require.NoError(t, node.Decode(&v))
		raw, err := json.Marshal(v)
		require.NoError(t, err, "example %s", name)
		out[name] = raw
	}
	if media.Example != nil {
		add("example", media.Example)
	}
	for name, ex := range media.Examples.FromOldest() {
		if ex.Value != nil {
			add(name, ex.Value)
		}
	}
	return out
}

// decodeStrict decodes raw into v and fails on a field that v lacks.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// compareFields returns the differences between the JSON fields of typ and
// the properties of schema, walking into objects and arrays that both
// describe. With both set it reports properties that typ lacks as well as
// fields that schema lacks; otherwise only the latter.
func compareFields(typ reflect.Type, schema *base.Schema, at string, both bool) []string {
	typ = deref(typ)
	switch {
	case schema == nil || isLeaf(typ):
		return nil
	case typ.Kind() == reflect.Slice:
		items := itemSchema(schema)
		if items == nil {
			return nil
		}
		return compareFields(typ.Elem(), items, at+"[]", both)
	case typ.Kind() != reflect.Struct:
		return nil
	}

	props := properties(schema)
	if len(props) == 0 {
		return nil // a free-form object, such as data of a result
	}
	fields := jsonFields(typ)

	var problems []string
	for _, name := range sortedKeys(fields) {
		prop, ok := props[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s.%s: the client's field is not in the document", at, name))
			continue
		}
		problems = append(problems, compareFields(fields[name], prop, at+"."+name, both)...)
	}
	if both {
		for _, name := range sortedKeys(props) {
			if _, ok := fields[name]; !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: the document's property is not in the client's type", at, name))
			}
		}
	}
	return problems
}

// properties returns the properties of schema and of its allOf, oneOf and
// anyOf branches: a response that has two shapes, such as a dry run, must
// fit one Go type.
func properties(schema *base.Schema) map[string]*base.Schema {
	props := map[string]*base.Schema{}
	if schema.Properties != nil {
		for name, p := range schema.Properties.FromOldest() {
			props[name] = p.Schema()
		}
	}
	for _, branch := range slices.Concat(schema.AllOf, schema.OneOf, schema.AnyOf) {
		for name, p := range properties(branch.Schema()) {
			if _, ok := props[name]; !ok {
				props[name] = p
			}
		}
	}
	return props
}

// itemSchema returns the items of an array schema, looking through the
// branches of a nullable array.
func itemSchema(schema *base.Schema) *base.Schema {
	if schema.Items != nil && schema.Items.IsA() {
		return schema.Items.A.Schema()
	}
	for _, branch := range slices.Concat(schema.AllOf, schema.OneOf, schema.AnyOf) {
		if items := itemSchema(branch.Schema()); items != nil {
			return items
		}
	}
	return nil
}

// jsonFields returns the JSON names of typ's fields with their types, with
// the fields of embedded structs promoted as encoding/json does.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct:
			for n, t := range jsonFields(deref(f.Type)) {
				if _, ok := fields[n]; !ok {
					fields[n] = t
				}
			}
			continue
		case name == "":
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// isLeaf reports whether typ encodes as a JSON value whose inside the
// check does not walk: scalars, times, raw JSON and maps.
func isLeaf(typ reflect.Type) bool {
	switch typ {
	case reflect.TypeFor[time.Time](), reflect.TypeFor[json.RawMessage]():
		return true
	}
	if typ.Implements(reflect.TypeFor[json.Marshaler]()) {
		return true
	}
	switch typ.Kind() {
	case reflect.Struct, reflect.Slice:
		return false
	}
	return true
}

func deref(typ reflect.Type) reflect.Type {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return typ
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
