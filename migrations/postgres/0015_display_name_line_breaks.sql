-- Display names end up in mail header fields and CN parameters, where a
-- line break ends the field; new ones may not contain control characters
-- (account.checkDisplayName). Line breaks stored before become spaces.
UPDATE users SET display_name = trim(replace(replace(display_name, chr(13), ' '), chr(10), ' '))
    WHERE strpos(display_name, chr(13)) > 0 OR strpos(display_name, chr(10)) > 0;
