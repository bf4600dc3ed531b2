import logging

from detkit.utils.logging import get_logger, get_root_logger, print_log


def test_logger_writes_file_once_per_name(tmp_path, capsys):
    log_file = tmp_path / 'run.log'
    logger = get_logger('detkit_test_a', log_file=str(log_file))
    assert get_logger('detkit_test_a') is logger  # set up once
    logger.info('hello %d', 3)
    for h in logger.handlers:
        h.flush()
    assert 'detkit_test_a - INFO - hello 3' in log_file.read_text()
    assert 'hello 3' in capsys.readouterr().err


def test_child_of_initialised_logger_is_not_set_up_again():
    get_logger('detkit_test_b')
    child = get_logger('detkit_test_b.sub')
    assert child.handlers == []


def test_root_logger_name_and_level():
    logger = get_root_logger(log_level=logging.INFO)
    assert logger.name == 'detkit' and logger.level == logging.INFO


def test_print_log_targets(capsys):
    print_log('to stdout')
    assert capsys.readouterr().out == 'to stdout\n'
    print_log('nothing', logger='silent')
    assert capsys.readouterr().out == ''
    logger = get_logger('detkit_test_c')
    print_log('via logger', logger=logger, level=logging.WARNING)
    assert 'WARNING - via logger' in capsys.readouterr().err
