CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`kinds` text,
	`backend` text,
	`gpu` text,
	`version` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`current_job_id` integer,
	`stopped_at` integer
);
--> statement-breakpoint
CREATE INDEX `workers_heartbeat_idx` ON `workers` (`heartbeat_at`);