package httpapi

import "testing"

func TestContainsAnyWholeStrings(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		values []string
		want   bool
	}{
		{"NameInsideWord", `{"name":"otto other","status":"completed"}`, []string{"Ed"}, false},
		{"NameAsValue", `{"name":"ed","status":"active"}`, []string{"Ed"}, true},
		{"EmailAnyCase", `{"email":"ed@example.com"}`, []string{"", "ED@example.com"}, true},
		{"EmailInsideLongerAddress", `{"email":"ted@example.com"}`, []string{"ed@example.com"}, false},
		{"EscapedName", `{"name":"a\u003cb"}`, []string{"A<B"}, true},
		{"RawName", `{"name":"a<b"}`, []string{"A<B"}, true},
		{"NoValues", `{"name":"ed"}`, []string{""}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := containsAny(c.text, c.values); got != c.want {
				t.Errorf("containsAny(%s, %q) = %v, want %v", c.text, c.values, got, c.want)
			}
		})
	}
}
