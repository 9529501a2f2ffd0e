-- Breeds and their mean starting stats (game-rules.md, "Breeds"). Starting stats are rolled
-- as round(Normal(mean, 3)) clamped to 1-100; the standard deviation is a rule constant in
-- the domain crate, not a column. `gaited` breeds may train and enter the Gaited discipline.
CREATE TABLE breeds (
    id                integer  GENERATED ALWAYS AS IDENTITY,
    name              text     NOT NULL,
    speed_mean        smallint NOT NULL,
    stamina_mean      smallint NOT NULL,
    agility_mean      smallint NOT NULL,
    balance_mean      smallint NOT NULL,
    precision_mean    smallint NOT NULL,
    intelligence_mean smallint NOT NULL,
    boldness_mean     smallint NOT NULL,
    flexibility_mean  smallint NOT NULL,
    obedience_mean    smallint NOT NULL,
    focus_mean        smallint NOT NULL,
    strength_mean     smallint NOT NULL,
    endurance_mean    smallint NOT NULL,
    gaited            boolean  NOT NULL DEFAULT false,
    description       text,
    CONSTRAINT breeds_pkey PRIMARY KEY (id),
    CONSTRAINT breeds_name_key UNIQUE (name),
    CONSTRAINT breeds_name_check CHECK (char_length(name) BETWEEN 1 AND 100 AND name = btrim(name)),
    CONSTRAINT breeds_speed_mean_check CHECK (speed_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_stamina_mean_check CHECK (stamina_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_agility_mean_check CHECK (agility_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_balance_mean_check CHECK (balance_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_precision_mean_check CHECK (precision_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_intelligence_mean_check CHECK (intelligence_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_boldness_mean_check CHECK (boldness_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_flexibility_mean_check CHECK (flexibility_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_obedience_mean_check CHECK (obedience_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_focus_mean_check CHECK (focus_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_strength_mean_check CHECK (strength_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_endurance_mean_check CHECK (endurance_mean BETWEEN 0 AND 100),
    CONSTRAINT breeds_description_check CHECK (char_length(description) <= 2000)
);

-- The 12 breeds of game-rules.md. Inserted in this order into a fresh identity column, so
-- their ids are 1..12 in table order (Thoroughbred = 1, ..., Paint Horse = 12).
INSERT INTO breeds (name, speed_mean, stamina_mean, agility_mean, balance_mean, precision_mean, intelligence_mean, boldness_mean, flexibility_mean, obedience_mean, focus_mean, strength_mean, endurance_mean, gaited) VALUES
    ('Thoroughbred', 20, 18, 17, 16, 12, 18, 18, 16, 17, 15, 14, 16, false),
    ('Arabian', 18, 19, 17, 15, 14, 17, 18, 15, 16, 18, 13, 20, false),
    ('American Saddlebred', 16, 15, 17, 18, 18, 17, 16, 18, 17, 18, 15, 15, true),
    ('National Show Horse', 17, 17, 18, 19, 16, 18, 16, 18, 17, 11, 16, 17, true),
    ('Pony Of The Americas', 15, 15, 16, 16, 15, 16, 14, 16, 18, 15, 14, 15, false),
    ('Appaloosa', 20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15, false),
    ('Tennessee Walking Horse', 14, 17, 15, 17, 15, 15, 14, 16, 18, 16, 15, 17, true),
    ('Andalusian', 14, 15, 19, 19, 15, 19, 17, 19, 17, 17, 14, 15, false),
    ('American Quarter Horse', 20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15, false),
    ('Walkaloosa', 15, 17, 18, 19, 14, 17, 16, 17, 18, 16, 16, 17, true),
    ('Lusitano', 15, 17, 20, 19, 17, 18, 18, 18, 18, 16, 17, 17, false),
    ('Paint Horse', 20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15, false);
