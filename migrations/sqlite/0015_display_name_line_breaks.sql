-- Display names end up in mail header fields and CN parameters, where a
-- line break ends the field; new ones may not contain control characters
-- (account.checkDisplayName). Line breaks stored before become spaces.
UPDATE users SET display_name = trim(replace(replace(display_name, char(13), ' '), char(10), ' '))
    WHERE instr(display_name, char(13)) > 0 OR instr(display_name, char(10)) > 0;
