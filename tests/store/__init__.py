"""The store on real databases: SQLite files and throwaway PostgreSQL databases."""
