-- Job change notifications (db/notify.ts): every committed change a reader would show is announced on the
-- `arbiter_jobs` channel, whoever made it. An update of the heartbeat alone is not: it changes nothing shown,
-- and each NOTIFY takes PostgreSQL's notification queue lock at commit.
CREATE FUNCTION "arbiter_notify_job"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW."status" = OLD."status"
     AND NEW."progress" = OLD."progress"
     AND NEW."message" IS NOT DISTINCT FROM OLD."message"
     AND NEW."attempts" = OLD."attempts"
     AND NEW."locked_by" IS NOT DISTINCT FROM OLD."locked_by"
     AND NEW."run_at" = OLD."run_at" THEN
    RETURN NULL;
  END IF;
  PERFORM pg_notify('arbiter_jobs', json_build_object('id', NEW."id", 'kind', NEW."kind", 'status', NEW."status", 'projectId', NEW."project_id")::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "jobs_notify" AFTER INSERT OR UPDATE ON "jobs" FOR EACH ROW EXECUTE FUNCTION "arbiter_notify_job"();
--> statement-breakpoint
-- One notification per job per transaction however many points it inserts: PostgreSQL delivers identical
-- payloads sent in one transaction once.
CREATE FUNCTION "arbiter_notify_job_metrics"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('arbiter_jobs', json_build_object('id', NEW."job_id", 'metrics', true)::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "job_metrics_notify" AFTER INSERT ON "job_metrics" FOR EACH ROW EXECUTE FUNCTION "arbiter_notify_job_metrics"();
