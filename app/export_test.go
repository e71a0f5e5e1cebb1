package app

// CloseDatabase closes the server's database pools while the server goes on
// serving, so that tests can see the readiness checks fail. Shutdown closes
// them again, which database/sql allows.
func (s *Server) CloseDatabase() error { return s.db.Close() }
