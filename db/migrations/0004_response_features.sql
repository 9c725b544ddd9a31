CREATE TABLE `response_features` (
	`response_id` integer NOT NULL,
	`featurizer` text NOT NULL,
	`data` blob NOT NULL,
	PRIMARY KEY(`response_id`, `featurizer`),
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade
);
